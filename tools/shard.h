// One part of a job spread over processes (a scheduler's job array, MPI ranks): shard `index` of
// `count`. What a part is depends on the job: whole batches of a generation (tools/run_zdc.h),
// whole runs of a study (tools/study_util.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace dg::tools {

struct Shard {
  int64_t index = 0, count = 1;
};

// "i/n" -> {i, n} with 0 <= i < n; errors name `flag`.
Shard parse_shard(const std::string& s, const std::string& flag);

// This process's shard under an MPI launcher, from the rank and size it puts in the environment
// (Open MPI's own variables, then the PMIx and PMI ones of other launchers); none outside a
// launcher or with a single rank; throws when a launcher gives the rank but not the size (PMIx
// alone), asking for --shard. No MPI library is involved.
std::optional<Shard> launcher_shard();

// "<stem>.shard-<i>-of-<n><ext>": where one rank writes when every rank runs the same command line.
std::string shard_path(const std::string& path, Shard s);

}  // namespace dg::tools
