#include "table.hpp"

#include <algorithm>

#include "trtutils/core/error.hpp"

namespace trtutils::cli {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
  TRTUTILS_CHECK(cells.size() <= columns_.size(), "table row has ", cells.size(), " cells for ",
                 columns_.size(), " columns");
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = columns_[c].header.size();
    for (const auto& row : rows_) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string text = indent;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(widths[c] - cells[c].size(), ' ');
      const bool last = c + 1 == cells.size();
      if (columns_[c].align == Align::kRight) {
        text += pad + cells[c];
      } else {
        text += cells[c] + (last ? std::string() : pad);
      }
      if (!last) text += "  ";
    }
    out << text << "\n";
  };
  std::vector<std::string> headers;
  std::size_t total = 0;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    headers.push_back(columns_[c].header);
    total += widths[c] + (c + 1 == columns_.size() ? 0 : 2);
  }
  line(headers);
  out << indent << std::string(total, '-') << "\n";
  for (const auto& row : rows_) line(row);
}

void KeyValueList::add(std::string key, std::string value) {
  items_.emplace_back(std::move(key), std::move(value));
}

void KeyValueList::print(std::ostream& out, const std::string& indent) const {
  std::size_t width = 0;
  for (const auto& item : items_) width = std::max(width, item.first.size());
  for (const auto& [key, value] : items_) {
    out << indent << key << ":" << std::string(width - key.size() + 1, ' ') << value << "\n";
  }
}

}  // namespace trtutils::cli
