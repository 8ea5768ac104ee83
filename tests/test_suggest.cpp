// "Did you mean" for mistyped command-line names (tools/suggest.h).
#include <doctest/doctest.h>

#include "tools/suggest.h"

using namespace dg::tools;

TEST_CASE("suggest: edit distance counts insertions, deletions, substitutions and swaps") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "ab") == 2);
  CHECK(edit_distance("train", "train") == 0);
  CHECK(edit_distance("trian", "train") == 1);       // swapped neighbours
  CHECK(edit_distance("--lamda", "--lambda") == 1);  // a dropped letter
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("eval", "generate") == edit_distance("generate", "eval"));
}

TEST_CASE("suggest: did_you_mean names the nearest candidate only when it is a likely typo") {
  const std::vector<std::string> subs = {"train", "eval", "generate", "study2d", "studyzdc"};
  CHECK(did_you_mean("trian", subs) == " (did you mean 'train'?)");
  CHECK(did_you_mean("studyzcd", subs) == " (did you mean 'studyzdc'?)");
  CHECK(did_you_mean("frobnicate", subs).empty());
  CHECK(did_you_mean("x", {}).empty());
  CHECK(did_you_mean("--sim-particle", {"--sim-particles", "--particles"}) ==
        " (did you mean '--sim-particles'?)");
  CHECK(join_names({"a", "b", "c"}) == "a, b, c");
}
