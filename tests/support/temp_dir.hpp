#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace crisisline::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on
// destruction unless keep() was called. Not copyable; movable.
class temp_dir {
 public:
  // Throws std::system_error if the directory cannot be created.
  explicit temp_dir(std::string_view prefix = "crisisline-test");
  ~temp_dir();

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Leave the directory on disk, e.g. to look at the logs of a failed test.
  void keep() { keep_ = true; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;
  bool keep_ = false;
};

// Writes `content` to `file`, replacing it. Throws std::system_error on failure.
void write_file(const std::filesystem::path& file, std::string_view content);

// Reads a whole file; returns "" if it does not exist.
std::string read_file(const std::filesystem::path& file);

}  // namespace crisisline::test
