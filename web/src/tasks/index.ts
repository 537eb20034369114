// The task registry: the page and planSync reach every task through here.
import type { Syncs } from '../app/state';
import type { TaskId } from '../settings';
import { densityTask } from './density';
import type { TaskModule } from './task';
import { trajectoryTask } from './trajectory';

export const TASKS: { [T in TaskId]: TaskModule<T> } = { trajectories: trajectoryTask, density: densityTask };
export const SYNCS: Syncs = { trajectories: trajectoryTask.sync, density: densityTask.sync };
