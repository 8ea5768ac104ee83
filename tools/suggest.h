// "Did you mean" for mistyped names on the command line.
#pragma once
#include <string>
#include <vector>

namespace dg::tools {

// Edit distance: insertions, deletions, substitutions and swaps of neighbours each cost 1 (a
// swapped pair is the commonest typo).
int edit_distance(const std::string& a, const std::string& b);
// " (did you mean 'x'?)" for the candidate nearest to `word` when it is close enough to be a typo
// (distance at most a third of the longer name, and at least 1 allowed), else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
// "a, b, c".
std::string join_names(const std::vector<std::string>& names);

}  // namespace dg::tools
