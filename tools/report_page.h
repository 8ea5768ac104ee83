// A report page (`divgan report`, docs/design.md#report) written once and rendered twice: as
// Markdown (report.md) and as a self-contained HTML page (report.html, no external CSS or script).
#pragma once
#include <string>
#include <vector>

namespace dg::tools {

std::string html_escape(const std::string& s);

// A table: Markdown ('|' in cells escaped) or HTML (figures right-aligned, words left-aligned,
// the first column as the row's name).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string markdown() const;
  std::string html() const;
};

struct Picture {
  std::string file, caption;
  bool wide = false;  // spans the page (multi-panel figures); else half of it
};

// The page in both renderings, appended to in order.
struct Page {
  std::string md, html;
  void heading(int level, const std::string& text);
  void paragraph(const std::string& text);
  // Markdown text as it comes (tables of '|' lines, paragraphs between blank lines): the same
  // text in report.md, and tables and paragraphs in the HTML.
  void markdown_block(const std::string& text);
  void table(const Table& t);
  // Figures with captions, linked to the full-size file; `wide` ones span the page.
  void pictures(const std::vector<Picture>& ps);
  // The whole HTML document, with its style sheet inline.
  std::string html_document(const std::string& title) const;
};

}  // namespace dg::tools
