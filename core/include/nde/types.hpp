#pragma once
/// The core's vector and matrix types, declared once.
#include <Eigen/Dense>

namespace nde {

using Vec = Eigen::VectorXd;         ///< a state, a parameter vector
using Mat = Eigen::MatrixXd;         ///< states as columns
using RowVec = Eigen::RowVectorXd;   ///< one value per column
using MatIn = Eigen::Ref<const Mat>;  ///< a read-only matrix argument: a Mat, a block or a map, without a copy
using Eigen::Index;

}  // namespace nde
