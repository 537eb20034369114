// Embind registrations only: the JS names of the adapters.
#include <emscripten/bind.h>

#include "adapters.hpp"

namespace {

/// The calls both trainer handles share, registered under the same names.
template <class H, class T>
void common(emscripten::class_<H>& c) {
  using B = nde::wasm::Handle<T>;
  c.template constructor<>()
      .function("init", static_cast<emscripten::val (H::*)(const std::string&)>(&B::init))
      .function("load", static_cast<emscripten::val (H::*)(const std::string&)>(&B::load))
      .function("notice", static_cast<std::string (H::*)() const>(&B::notice))
      .function("toJSON", static_cast<std::string (H::*)() const>(&B::to_json))
      .function("toPacked", static_cast<emscripten::val (H::*)() const>(&B::to_packed))
      .function("loadPacked", static_cast<emscripten::val (H::*)(const emscripten::val&)>(&B::load_packed))
      .function("config", static_cast<std::string (H::*)() const>(&B::config))
      .function("step", static_cast<emscripten::val (H::*)(double, double, double)>(&B::step))
      .function("parameters", static_cast<emscripten::val (H::*)() const>(&B::parameters))
      .function("setParameters", static_cast<emscripten::val (H::*)(const emscripten::val&)>(&B::set_parameters))
      .function("reset", static_cast<emscripten::val (H::*)(double)>(&B::reset))
      .function("iteration", static_cast<double (H::*)() const>(&B::iteration))
      .function("checkpoint", static_cast<void (H::*)()>(&B::checkpoint))
      .function("checkpointIteration", static_cast<double (H::*)() const>(&B::checkpoint_iteration))
      .function("restoreCheckpoint", static_cast<emscripten::val (H::*)()>(&B::restore_checkpoint))
      .function("adoptState", +[](H& self, const H& other) { return self.adopt_state(other); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neural_ode) {
  using namespace emscripten;
  using nde::wasm::DensityHandle;
  using nde::wasm::TrainerHandle;
  class_<TrainerHandle> trainer("TrainerHandle");
  common<TrainerHandle, nde::Trainer>(trainer);
  trainer.function("addTrajectory", &TrainerHandle::add_trajectory)
      .function("clearTrajectories", &TrainerHandle::clear_trajectories)
      .function("trajectoryCount", &TrainerHandle::trajectory_count)
      .function("loss", &TrainerHandle::loss)
      .function("lossPiece", &TrainerHandle::loss_piece)
      .function("gradient", &TrainerHandle::gradient)
      .function("integrate", &TrainerHandle::integrate)
      .function("field", &TrainerHandle::field)
      .function("sampleGrid", &TrainerHandle::sample_grid)
      .function("analyze", &TrainerHandle::analyze)
      .function("gradientTruth", &TrainerHandle::gradient_truth)
      .function("memorySweep", &TrainerHandle::memory_sweep);
  using nde::wasm::JobHandle;
  class_<JobHandle>("JobHandle")
      .constructor<>()
      .function("portrait", &JobHandle::portrait)
      .function("gradientTruth", &JobHandle::gradient_truth)
      .function("memorySweep", &JobHandle::memory_sweep)
      .function("run", &JobHandle::run)
      .function("result", &JobHandle::result);
  using nde::wasm::EnsembleHandle;
  class_<EnsembleHandle>("EnsembleHandle")
      .constructor<>()
      .function("init", &EnsembleHandle::init)
      .function("addTrajectory", &EnsembleHandle::add_trajectory)
      .function("clearTrajectories", &EnsembleHandle::clear_trajectories)
      .function("size", &EnsembleHandle::size)
      .function("step", &EnsembleHandle::step)
      .function("iteration", &EnsembleHandle::iteration)
      .function("disagreementGrid", &EnsembleHandle::disagreement_grid);
  class_<DensityHandle> density("DensityHandle");
  common<DensityHandle, nde::DensityTrainer>(density);
  density.function("addSamples", &DensityHandle::add_samples)
      .function("clearSamples", &DensityHandle::clear_samples)
      .function("sampleCount", &DensityHandle::sample_count)
      .function("nll", &DensityHandle::nll)
      .function("sample", &DensityHandle::sample)
      .function("logDensity", &DensityHandle::log_density)
      .function("logDensityGrid", &DensityHandle::log_density_grid);
  function("densityPresets", &nde::wasm::density_presets);
  function("sampleDensity", &nde::wasm::sample_density);
  function("systems", &nde::wasm::systems);
  function("sampleSystem", &nde::wasm::sample_system);
  function("systemField", &nde::wasm::system_field);
  function("analyzeSystem", &nde::wasm::analyze_system);
  function("limits", &nde::wasm::limits);
  function("version", &nde::wasm::version);
  function("heapBytes", &nde::wasm::heap_bytes);
  function("tiledKernels", &nde::wasm::tiled_kernels);
  function("laneKernels", &nde::wasm::lane_kernels);
  function("laneTraining", &nde::wasm::lane_training);
  function("stageTapes", &nde::wasm::stage_tapes);
  function("largestFreeBlock", &nde::wasm::largest_free_block);
}
