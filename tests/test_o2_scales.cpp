// O2's condition-scales text: the writer round-trips a standardizer bit for bit, and the strict
// reader refuses what O2's own reader would misread.
#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "tools/o2_scales.h"

using dg::data::Standardizer;
using dg::tools::o2_scales_text;
using dg::tools::parse_o2_scales;

namespace {

Standardizer sample() {
  Standardizer st;
  for (int j = 0; j < 9; ++j) {
    st.mean[j] = (j - 4) * 0.1 + 1.0 / 3.0;  // values that need 17 digits
    st.scale[j] = 1e-6 + j * 12.345678901234567;
  }
  return st;
}

}  // namespace

TEST_CASE("o2 scales: the writer's text round-trips exactly and has O2's layout") {
  const Standardizer st = sample();
  const std::string text = o2_scales_text(st);
  CHECK(text.rfind("#means\n", 0) == 0);
  CHECK(text.find("\n\n#scales\n") != std::string::npos);
  const Standardizer back = parse_o2_scales(text, "s.txt");
  for (int j = 0; j < 9; ++j) {
    CHECK(back.mean[j] == st.mean[j]);
    CHECK(back.scale[j] == st.scale[j]);
  }
}

TEST_CASE("o2 scales: bad files are refused naming the file and the block") {
  const std::string good = o2_scales_text(sample());
  auto refuses = [](const std::string& text, const std::string& what) {
    try {
      parse_o2_scales(text, "s.txt");
      FAIL("accepted: " << what);
    } catch (const dg::Error& e) {
      const std::string msg = e.what();
      CHECK_MESSAGE(msg.find("s.txt") != std::string::npos, msg);
    }
  };
  refuses("", "an empty file");
  refuses(good.substr(0, good.find("#scales")), "no #scales block");
  std::string eight = good;
  eight.erase(eight.find('\n', 7) + 1,
              eight.find('\n', eight.find('\n', 7) + 1) - eight.find('\n', 7));
  refuses(eight, "eight means");
  std::string word = good;
  word.replace(word.find('\n') + 1, 1, "x");
  refuses(word, "a word for a number");
  std::string neg = good;
  neg.insert(neg.find("#scales\n") + 8, "-");
  refuses(neg, "a negative scale");
  std::string crlf = good;
  crlf.replace(0, 7, "#means\r\n");
  refuses(crlf, "a CRLF header (O2 compares the line exactly)");
}
