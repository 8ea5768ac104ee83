// Report pages: tables written once and rendered as Markdown and HTML, pictures, and the page
// that holds both (see report_page.h).
#include "tools/report_page.h"

#include <cctype>
#include <sstream>

namespace dg::tools {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Table::markdown() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (const std::string& c : cells) {
      s += " ";
      for (char ch : c) s += ch == '|' ? std::string("\\|") : std::string(1, ch);
      s += " |";
    }
    return s + "\n";
  };
  std::string s = line(header) + "|";
  for (size_t k = 0; k < header.size(); ++k) s += "---|";
  s += "\n";
  for (const auto& r : rows) s += line(r);
  return s;
}

std::string Table::html() const {
  std::string s = "<table>\n<tr>";
  for (const std::string& h : header) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr>\n";
  for (const auto& r : rows) {
    s += "<tr>";
    for (size_t k = 0; k < r.size(); ++k) {
      // Figures right-aligned for comparing digits, words left-aligned.
      const char c = r[k].empty() ? '0' : r[k][0];
      const bool figure = std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '>' ||
                          c == '.' || r[k] == "n/a" || r[k].rfind("NaN", 0) == 0;
      s += std::string(k == 0   ? "<td class=\"name\">"
                       : figure ? "<td>"
                                : "<td class=\"text\">") +
           html_escape(r[k]) + "</td>";
    }
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

void Page::heading(int level, const std::string& text) {
  md += std::string(static_cast<size_t>(level), '#') + " " + text + "\n\n";
  html += "<h" + std::to_string(level) + ">" + html_escape(text) + "</h" + std::to_string(level) +
          ">\n";
}

void Page::paragraph(const std::string& text) {
  md += text + "\n\n";
  html += "<p>" + html_escape(text) + "</p>\n";
}

void Page::markdown_block(const std::string& text) {
  md += text + "\n\n";
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  lines.emplace_back();
  std::string para;
  Table t;
  auto cells = [](const std::string& l) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t k = 1; k < l.size(); ++k) {
      if (l[k] == '\\' && k + 1 < l.size() && l[k + 1] == '|') {
        cur += '|';
        ++k;
      } else if (l[k] == '|') {
        const size_t a = cur.find_first_not_of(' '), b = cur.find_last_not_of(' ');
        out.push_back(a == std::string::npos ? "" : cur.substr(a, b - a + 1));
        cur.clear();
      } else {
        cur += l[k];
      }
    }
    return out;
  };
  for (const std::string& l : lines) {
    if (!l.empty() && l[0] == '|') {
      if (!para.empty()) html += "<p>" + html_escape(para) + "</p>\n", para.clear();
      std::vector<std::string> c = cells(l);
      if (t.header.empty())
        t.header = c;
      else if (l.find("---") == std::string::npos)
        t.rows.push_back(c);
      continue;
    }
    if (!t.header.empty()) html += t.html(), t = Table{};
    if (l.empty()) {
      if (!para.empty()) html += "<p>" + html_escape(para) + "</p>\n", para.clear();
    } else {
      para += (para.empty() ? "" : " ") + l;
    }
  }
}

void Page::table(const Table& t) {
  md += t.markdown() + "\n";
  html += t.html();
}

void Page::pictures(const std::vector<Picture>& ps) {
  if (ps.empty()) return;
  html += "<div class=\"pictures\">\n";
  for (const Picture& p : ps) {
    md += "![" + p.caption + "](" + p.file + ")\n\n*" + p.caption + "*\n\n";
    html += std::string(p.wide ? "<figure class=\"wide\">" : "<figure>") + "<a href=\"" +
            html_escape(p.file) + "\"><img src=\"" + html_escape(p.file) + "\" alt=\"" +
            html_escape(p.caption) + "\"></a><figcaption>" + html_escape(p.caption) +
            "</figcaption></figure>\n";
  }
  html += "</div>\n";
}

namespace {

const char* kStyle = R"(<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1.5em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #d0d4da; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #e2e5e9; padding-bottom: .2em; }
h3 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #d0d4da; padding: .35em .7em; text-align: right; }
th { background: #f3f5f8; }
td.name { text-align: left; font-weight: 600; }
td.text { text-align: left; }
tr:nth-child(even) td { background: #fafbfc; }
.pictures { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
            gap: 1.2em; }
figure.wide { grid-column: 1 / -1; }
figure.wide img { max-width: 1100px; display: block; margin: 0 auto; }
figure { margin: 0; border: 1px solid #e2e5e9; padding: .6em; background: #fff; }
figure img { width: 100%; height: auto; }
figcaption { font-size: .88em; color: #50555c; margin-top: .4em; }
p.note { color: #50555c; font-size: .92em; }
</style>
)";

}  // namespace

std::string Page::html_document(const std::string& title) const {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         html_escape(title) + "</title>\n" + kStyle + "</head>\n<body>\n" + html +
         "</body>\n</html>\n";
}
}  // namespace dg::tools
