#pragma once
/// The phase portrait of a field over a view: equilibria, nullclines, limit cycles, basins, separatrices,
/// and how a learned portrait compares with the true one.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "nde/basins.hpp"
#include "nde/equilibria.hpp"
#include "nde/limit_cycles.hpp"
#include "nde/nullclines.hpp"
#include "nde/separatrices.hpp"

namespace nde {

/// What to analyse and how finely.
struct PortraitOptions {
  EquilibriumOptions equilibria;
  int cycle_seeds = 6;       ///< per side: seeds whose long-run flow is searched for cycles
  bool exact_flow = false;   ///< integrate f itself instead of its bilinear interpolation on the view grid
  bool separatrices = true;
  Deadline deadline;         ///< once it passes, the remaining stages are skipped (PhasePortrait::complete false)
  /// The same for the analysis's own time, summed over a PortraitJob's run() calls (not the time between them).
  double max_work_millis = INFINITY;
};

/// Everything the analysis found on one view (grid = the view; labels per grid point, row by row from ymin).
struct PhasePortrait {
  GridSpec view;
  Mat velocities;                      ///< 2 × nx·ny, the field on the view grid
  std::vector<Equilibrium> equilibria;
  Nullclines nullclines;
  std::vector<LimitCycle> cycles;
  std::vector<Attractor> attractors;   ///< stable equilibria, then stable cycles: what basin labels index
  std::vector<int> basins;             ///< per grid point: attractor index, kUndecided or kEscaped (empty: skipped)
  std::vector<Separatrix> separatrices;
  double time_unit = 1.0;              ///< diagonal / median speed on the view
  long flow_steps = 0;                 ///< RK4 steps of the basin and cycle flows (summed over points)
  bool complete = true;                ///< false when the deadline cut the analysis short
};

/// The analysis in resumable parts: run(pause) works until `pause` passes, checked between bounded units of work (a row
/// of the view's or the outer grid's field values, the seeds' values, one seed's Newton, a few steps of a basin flow, one
/// cycle candidate or polish, one equilibrium's separatrices), and the next run() continues where it stopped. The portrait
/// is the same however the runs split it (analyze() is one run to the end); only PortraitOptions::deadline and
/// max_work_millis, which skip stages, depend on time. The job owns its copy of the field (a learned field still
/// refers to its trainer, which must outlive the job and not change meanwhile).
class PortraitJob {
 public:
  PortraitJob(PhaseField f, const GridSpec& view, const PortraitOptions& o = {});
  ~PortraitJob();
  PortraitJob(const PortraitJob&) = delete;
  PortraitJob& operator=(const PortraitJob&) = delete;
  /// At least one unit of work, then more until `pause` passes or the analysis is finished; true once finished.
  bool run(const Deadline& pause = {});
  [[nodiscard]] bool done() const;
  /// Units of work done so far (for tests and benches).
  [[nodiscard]] long units() const;
  /// Its own work time so far (ms, summed over the runs).
  [[nodiscard]] double millis() const;
  /// The portrait (complete once done; while under way, what is known so far).
  [[nodiscard]] const PhasePortrait& portrait() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// The whole analysis of a 2-D field (or a 2-D slice through PhaseField::origin) over a view grid.
[[nodiscard]] PhasePortrait analyze(const PhaseField& f, const GridSpec& view, const PortraitOptions& o = {});

/// "2 stable nodes + 1 saddle", "1 unstable focus + 1 stable limit cycle", "no equilibria".
[[nodiscard]] std::string summary(const PhasePortrait& p);

/// A learned portrait against the true one on the same view.
struct PortraitComparison {
  bool same_structure = false;   ///< the same count of each equilibrium type and of stable/unstable cycles
  double position_error = 0.0;   ///< largest distance between matched equilibria (data units)
  double period_error = 0.0;     ///< largest relative period difference of matched cycles
  double basin_agreement = 0.0;  ///< fraction of grid points whose attractors correspond (NaN: a side has no attractor)
  std::vector<int> attractor_match;  ///< per learned attractor: the matching true attractor, or −1
  std::string verdict;           ///< one line for the page
};

/// Matches equilibria of the same type and cycles of the same stability nearest first, maps basin labels
/// through the matched attractors and words the verdict.
[[nodiscard]] PortraitComparison compare(const PhasePortrait& learned, const PhasePortrait& truth);

}  // namespace nde
