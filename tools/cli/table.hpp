#pragma once
// Plain-text tables for the subcommands' reports: columns sized to their
// widest cell, numbers right-aligned, a rule under the header.
#include <ostream>
#include <string>
#include <vector>

namespace trtutils::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
  };

  explicit Table(std::vector<Column> columns);
  /// A row with one cell per column (missing cells are empty, extra ones an error).
  void add_row(std::vector<std::string> cells);
  std::size_t row_count() const noexcept { return rows_.size(); }
  /// Writes the table, each line prefixed by `indent`.
  void print(std::ostream& out, const std::string& indent = "  ") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// "  key: value" lines with the keys padded to one width.
class KeyValueList {
 public:
  void add(std::string key, std::string value);
  void print(std::ostream& out, const std::string& indent = "  ") const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace trtutils::cli
