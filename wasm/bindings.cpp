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
  using nde::wasm::DensityHandle;
  class_<DensityHandle>("DensityHandle")
      .constructor<>()
      .function("init", &DensityHandle::init)
      .function("load", &DensityHandle::load)
      .function("toJSON", &DensityHandle::to_json)
      .function("config", &DensityHandle::config)
      .function("addSamples", &DensityHandle::add_samples)
      .function("clearSamples", &DensityHandle::clear_samples)
      .function("sampleCount", &DensityHandle::sample_count)
      .function("step", &DensityHandle::step)
      .function("nll", &DensityHandle::nll)
      .function("sample", &DensityHandle::sample)
      .function("logDensity", &DensityHandle::log_density)
      .function("logDensityGrid", &DensityHandle::log_density_grid)
      .function("parameters", &DensityHandle::parameters)
      .function("setParameters", &DensityHandle::set_parameters)
      .function("reset", &DensityHandle::reset)
      .function("iteration", &DensityHandle::iteration);
  function("densityPresets", &nde::wasm::density_presets);
  function("sampleDensity", &nde::wasm::sample_density);
  function("systems", &nde::wasm::systems);
  function("sampleSystem", &nde::wasm::sample_system);
  function("systemField", &nde::wasm::system_field);
  function("version", &nde::wasm::version);
  function("heapBytes", &nde::wasm::heap_bytes);
}
