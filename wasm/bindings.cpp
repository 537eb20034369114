// Embind registrations only: the JS names of the adapters.
#include <emscripten/bind.h>

#include "adapters.hpp"

EMSCRIPTEN_BINDINGS(neural_ode) {
  using namespace emscripten;
  using nde::wasm::TrainerHandle;
  class_<TrainerHandle>("TrainerHandle")
      .constructor<>()
      .function("init", &TrainerHandle::init)
      .function("load", &TrainerHandle::load)
      .function("config", &TrainerHandle::config)
      .function("addTrajectory", &TrainerHandle::add_trajectory)
      .function("clearTrajectories", &TrainerHandle::clear_trajectories)
      .function("trajectoryCount", &TrainerHandle::trajectory_count)
      .function("step", &TrainerHandle::step)
      .function("loss", &TrainerHandle::loss)
      .function("parameters", &TrainerHandle::parameters)
      .function("setParameters", &TrainerHandle::set_parameters)
      .function("gradient", &TrainerHandle::gradient)
      .function("integrate", &TrainerHandle::integrate)
      .function("field", &TrainerHandle::field)
      .function("sampleGrid", &TrainerHandle::sample_grid)
      .function("toJSON", &TrainerHandle::to_json)
      .function("reset", &TrainerHandle::reset)
      .function("iteration", &TrainerHandle::iteration);
  function("systems", &nde::wasm::systems);
  function("sampleSystem", &nde::wasm::sample_system);
  function("systemField", &nde::wasm::system_field);
  function("version", &nde::wasm::version);
  function("heapBytes", &nde::wasm::heap_bytes);
}
