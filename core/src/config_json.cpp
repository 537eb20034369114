#include "nde/config_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "nde/json_util.hpp"

namespace nde {

using nlohmann::json;

json config_to_document(const TrainerConfig& c) {
  json j;
  j["dim"] = c.mlp.dim;
  j["hidden"] = c.mlp.hidden;
  j["activation"] = to_string(c.mlp.activation);
  j["timeDependent"] = c.mlp.time_dependent;
  j["augment"] = c.mlp.augment;
  j["input"] = c.mlp.input == InputMap::Cube ? "cube" : "identity";
  j["initStd"] = c.mlp.init_std;
  j["initOutput"] = c.mlp.init_output;
  j["normalize"] = c.normalize;
  j["seed"] = c.seed;
  j["solver"] = {{"method", c.solver.method}, {"rtol", c.solver.rtol}, {"atol", c.solver.atol},
                 {"stepSize", c.solver.step}, {"maxSteps", c.solver.max_steps},
                 {"checkpoints", c.solver.checkpoints}, {"adjointRtol", c.solver.adjoint_rtol},
                 {"adjointAtol", c.solver.adjoint_atol}, {"seminorm", c.solver.seminorm}};
  j["gradient"] = to_string(c.gradient);
  j["optimizer"] = {{"name", to_string(c.optimizer.kind)}, {"lr", c.optimizer.lr},
                    {"weightDecay", c.optimizer.weight_decay}, {"clip", c.optimizer.clip},
                    {"average", c.optimizer.average}, {"decayAfter", c.optimizer.decay_after},
                    {"halfLife", c.optimizer.half_life}, {"lrFloor", c.optimizer.lr_floor},
                    {"beta1", c.optimizer.beta1}, {"beta2", c.optimizer.beta2},
                    {"alpha", c.optimizer.alpha}, {"eps", c.optimizer.eps}};
  j["batch"] = {{"size", c.batch_size}, {"window", c.window}, {"joint", c.joint}, {"shooting", c.shooting},
                {"continuity", c.continuity}};
  j["loss"] = to_string(c.loss);
  j["regularization"] = {{"kinetic", c.kinetic}, {"jacobian", c.jacobian}};
  return j;
}

std::string config_to_json(const TrainerConfig& c) { return config_to_document(c).dump(); }

Result<TrainerConfig> config_from_document(const json& j) {
  using R = Result<TrainerConfig>;
  TrainerConfig c;
  JsonReader r;
  if (!j.is_object()) return R::failure("config must be a JSON object");
  r.keys(j, "config", {"dim", "hidden", "activation", "timeDependent", "augment", "input", "initStd", "initOutput", "normalize",
                       "seed", "solver", "gradient", "optimizer", "batch", "loss", "regularization"});
  r.integer(j, "dim", c.mlp.dim);
  if (j.contains("hidden")) {
    if (!j["hidden"].is_array()) r.fail("hidden must be an array of layer widths, e.g. [32, 32]");
    else {
      c.mlp.hidden.clear();
      if (j["hidden"].size() > 64) r.fail("hidden may have at most 8 layers");
      else
        for (const json& w : j["hidden"]) {
          int width = 0;
          if (!r.whole(w, "each hidden width", width)) break;
          c.mlp.hidden.push_back(width);
        }
    }
  }
  std::string s;
  if (r.string(j, "activation", s)) {
    if (auto a = activation_from_string(s)) c.mlp.activation = *a;
    else r.fail("unknown activation " + limits::quote(s) + " (use tanh, softplus or silu)");
  }
  r.boolean(j, "timeDependent", c.mlp.time_dependent);
  r.integer(j, "augment", c.mlp.augment);
  if (r.string(j, "input", s)) {
    if (s == "identity") c.mlp.input = InputMap::Identity;
    else if (s == "cube") c.mlp.input = InputMap::Cube;
    else r.fail("unknown input map " + limits::quote(s) + " (use identity or cube)");
  }
  r.number(j, "initStd", c.mlp.init_std);
  r.number(j, "initOutput", c.mlp.init_output);
  r.boolean(j, "normalize", c.normalize);
  r.integer(j, "seed", c.seed);
  if (const json* sv = r.object(j, "solver")) {
    r.at = "solver.";
    r.keys(*sv, "solver", {"method", "rtol", "atol", "stepSize", "maxSteps", "checkpoints", "adjointRtol",
                           "adjointAtol", "seminorm"});
    r.string(*sv, "method", c.solver.method);
    r.number(*sv, "rtol", c.solver.rtol);
    r.number(*sv, "atol", c.solver.atol);
    r.number(*sv, "stepSize", c.solver.step);
    r.integer(*sv, "maxSteps", c.solver.max_steps);
    r.integer(*sv, "checkpoints", c.solver.checkpoints);
    r.number(*sv, "adjointRtol", c.solver.adjoint_rtol);
    r.number(*sv, "adjointAtol", c.solver.adjoint_atol);
    r.boolean(*sv, "seminorm", c.solver.seminorm);
    r.at.clear();
  }
  if (r.string(j, "gradient", s)) {
    if (auto g = gradient_method_from_string(s)) c.gradient = *g;
    else r.fail("unknown gradient method " + limits::quote(s) + " (use checkpointed, direct or adjoint)");
  }
  if (const json* o = r.object(j, "optimizer")) {
    r.at = "optimizer.";
    r.keys(*o, "optimizer", {"name", "lr", "weightDecay", "clip", "average", "decayAfter", "halfLife", "lrFloor",
                            "beta1", "beta2", "alpha", "eps"});
    if (r.string(*o, "name", s)) {
      if (auto k = optimizer_from_string(s)) c.optimizer.kind = *k;
      else r.fail("unknown optimizer " + limits::quote(s) + " (use adam or rmsprop)");
    }
    r.number(*o, "lr", c.optimizer.lr);
    r.number(*o, "weightDecay", c.optimizer.weight_decay);
    r.number(*o, "clip", c.optimizer.clip);
    r.number(*o, "average", c.optimizer.average);
    r.number(*o, "decayAfter", c.optimizer.decay_after);
    r.number(*o, "halfLife", c.optimizer.half_life);
    r.number(*o, "lrFloor", c.optimizer.lr_floor);
    r.number(*o, "beta1", c.optimizer.beta1);
    r.number(*o, "beta2", c.optimizer.beta2);
    r.number(*o, "alpha", c.optimizer.alpha);
    r.number(*o, "eps", c.optimizer.eps);
    r.at.clear();
  }
  if (const json* b = r.object(j, "batch")) {
    r.at = "batch.";
    r.keys(*b, "batch", {"size", "window", "joint", "shooting", "continuity"});
    r.integer(*b, "size", c.batch_size);
    r.integer(*b, "window", c.window);
    r.boolean(*b, "joint", c.joint);
    r.integer(*b, "shooting", c.shooting);
    r.number(*b, "continuity", c.continuity);
    r.at.clear();
  }
  if (r.string(j, "loss", s)) {
    if (auto l = loss_kind_from_string(s)) c.loss = *l;
    else r.fail("unknown loss " + limits::quote(s) + " (use mse or l1)");
  }
  if (const json* g = r.object(j, "regularization")) {
    r.at = "regularization.";
    r.keys(*g, "regularization", {"kinetic", "jacobian"});
    r.number(*g, "kinetic", c.kinetic);
    r.number(*g, "jacobian", c.jacobian);
    r.at.clear();
  }
  if (!r.ok()) return R::failure(r);
  const Result<> valid = validate(c);
  if (!valid.ok()) return R::failure(valid);
  return R::success(std::move(c));
}

Result<DensityConfig> density_config_from_json(const std::string& text) {
  Result<json> j = parse_json(text, "config");
  if (!j.ok()) return Result<DensityConfig>::failure(j);
  return density_config_from_document(*j.value);
}

Result<DensityConfig> density_config_from_document(json j) {
  using R = Result<DensityConfig>;
  if (!j.is_object()) return R::failure("config must be a JSON object");
  DensityConfig d;
  JsonReader r;
  r.number(j, "tEnd", d.t_end);
  r.number(j, "dataScale", d.data_scale);
  std::string trace;
  if (r.string(j, "trace", trace)) {
    if (trace == "exact") d.trace = TraceMode::Exact;
    else if (trace == "hutchinson") d.trace = TraceMode::Hutchinson;
    else r.fail("unknown trace " + limits::quote(trace) + " (use exact or hutchinson)");
  }
  if (!r.ok()) return R::failure(r);
  j.erase("tEnd");
  j.erase("dataScale");
  j.erase("trace");
  // Density defaults where the document is silent: DensityConfig's (one source).
  const TrainerConfig defaults = DensityConfig{}.base;
  if (!j.contains("timeDependent")) j["timeDependent"] = defaults.mlp.time_dependent;
  if (!j.contains("initOutput")) j["initOutput"] = defaults.mlp.init_output;
  if (!j.contains("optimizer")) j["optimizer"] = json::object();
  if (j["optimizer"].is_object() && !j["optimizer"].contains("halfLife")) j["optimizer"]["halfLife"] = defaults.optimizer.half_life;
  if (!j.contains("batch")) j["batch"] = json::object();
  if (j["batch"].is_object() && !j["batch"].contains("size")) j["batch"]["size"] = defaults.batch_size;
  if (!j.contains("solver")) j["solver"] = json::object();
  if (j["solver"].is_object()) {
    if (!j["solver"].contains("rtol")) j["solver"]["rtol"] = defaults.solver.rtol;
    if (!j["solver"].contains("atol")) j["solver"]["atol"] = defaults.solver.atol;
  }
  Result<TrainerConfig> base = config_from_document(j);
  if (!base.ok()) return R::failure(base);
  d.base = *base.value;
  const Result<> valid = validate(d);
  if (!valid.ok()) return R::failure(valid);
  return R::success(d);
}

json density_config_to_document(const DensityConfig& c) {
  json j = config_to_document(c.base);
  j["tEnd"] = c.t_end;
  j["dataScale"] = c.data_scale;
  j["trace"] = c.trace == TraceMode::Exact ? "exact" : "hutchinson";
  return j;
}

std::string density_config_to_json(const DensityConfig& c) { return density_config_to_document(c).dump(); }

Result<TrainerConfig> config_from_json(const std::string& text) {
  Result<json> j = parse_json(text, "config");
  if (!j.ok()) return Result<TrainerConfig>::failure(j);
  return config_from_document(*j.value);
}

}  // namespace nde
