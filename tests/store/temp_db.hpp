#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

// A fresh directory for one test's database, removed afterwards.
class temp_db {
 public:
  temp_db() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "crisisline-test-XXXXXX").string();
    dir_ = mkdtemp(templ.data());
  }
  ~temp_db() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  temp_db(const temp_db&) = delete;
  temp_db& operator=(const temp_db&) = delete;
  [[nodiscard]] std::filesystem::path path() const { return dir_ / "crisisline.db"; }

 private:
  std::filesystem::path dir_;
};
