#include "nde/tableau.hpp"

namespace nde {

// The fixed-step methods have no continuous extension (dense {}): their dense output is the cubic Hermite
// interpolant (dense.hpp).
const Tableau& euler() {
  static const Tableau t{"euler", {0.0}, {{}}, {1.0}, {}, 1, false, {}};
  return t;
}

const Tableau& midpoint() {
  static const Tableau t{"midpoint", {0.0, 0.5}, {{}, {0.5}}, {0.0, 1.0}, {}, 2, false, {}};
  return t;
}

const Tableau& rk4() {
  static const Tableau t{"rk4",
                         {0.0, 0.5, 0.5, 1.0},
                         {{}, {0.5}, {0.0, 0.5}, {0.0, 0.0, 1.0}},
                         {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
                         {},
                         4,
                         false,
                         {}};
  return t;
}

const Tableau& rk4_38() {
  static const Tableau t{"rk4-38",
                         {0.0, 1.0 / 3, 2.0 / 3, 1.0},
                         {{}, {1.0 / 3}, {-1.0 / 3, 1.0}, {1.0, -1.0, 1.0}},
                         {1.0 / 8, 3.0 / 8, 3.0 / 8, 1.0 / 8},
                         {},
                         4,
                         false,
                         {}};
  return t;
}

const Tableau& dopri5() {
  static const Tableau t = [] {
    Tableau d;
    d.name = "dopri5";
    d.c = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
    d.a = {{},
           {1.0 / 5},
           {3.0 / 40, 9.0 / 40},
           {44.0 / 45, -56.0 / 15, 32.0 / 9},
           {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
           {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
           {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
    d.b = {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0.0};
    const double bhat[] = {5179.0 / 57600, 0.0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
    for (int i = 0; i < 7; ++i) d.err.push_back(d.b[i] - bhat[i]);
    d.order = 5;
    d.fsal = true;
    // Dormand–Prince's continuous extension of order 4 (Hairer, Nørsett & Wanner; the coefficients of
    // scipy's RK45 and torchdiffeq's dopri5 interpolation, in powers θ, θ², θ³, θ⁴).
    d.dense = {{1.0, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432},
               {0.0, 0.0, 0.0, 0.0},
               {0.0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933, 87487479700.0 / 32700410799},
               {0.0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072},
               {0.0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408, 701980252875.0 / 199316789632},
               {0.0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844},
               {0.0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423}};
    return d;
  }();
  return t;
}

std::optional<Tableau> tableau_by_name(const std::string& name) {
  for (const Tableau* t : {&euler(), &midpoint(), &rk4(), &rk4_38(), &dopri5()})
    if (t->name == name) return *t;
  return std::nullopt;
}

}  // namespace nde
