// Runs a training natively for the wasm agreement test: losses of each step as one JSON array.
// usage: nde_native_losses CONFIG.json DATA.json STEPS   (DATA: {"trajectories": [{"times": [...], "states": [...]}]})
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nde/config_json.hpp"
#include "nde/trainer.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: nde_native_losses CONFIG.json DATA.json STEPS\n";
    return 2;
  }
  auto slurp = [](const char* path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const auto cfg = nde::config_from_json(slurp(argv[1]));
  if (!cfg.ok()) {
    std::cerr << cfg.message << "\n";
    return 1;
  }
  nde::Trainer t(*cfg.value);
  const auto data = nlohmann::json::parse(slurp(argv[2]));
  const int d = cfg.value->mlp.dim;
  for (const auto& tr : data["trajectories"]) {
    nde::Trajectory x;
    x.times = tr["times"].get<std::vector<double>>();
    const auto s = tr["states"].get<std::vector<double>>();
    x.states = Eigen::Map<const nde::Mat>(s.data(), d, static_cast<Eigen::Index>(x.times.size()));
    const nde::Result<std::size_t> added = t.add_trajectory(x);
    if (!added.ok()) {
      std::cerr << added.message << "\n";
      return 1;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0, n = std::stoi(argv[3]); i < n; ++i) out.push_back(t.step().loss);
  std::cout << out.dump() << "\n";
  return 0;
}
