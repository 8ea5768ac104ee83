// The one way every output file of the project is written (checkpoints, data files, run and
// evaluation JSON, benchmark results): all or nothing. The content goes to a temporary file beside
// the target, which is flushed and fsync'ed, renamed over the target, and the folder fsync'ed, so a
// crash, a full disk or a failing writer never leaves a half-written or lost file: the target is
// either its old content or its new one, and no temporary file stays behind. Failures throw
// dg::Error naming the target and the cause (docs/design.md#error-handling).
#pragma once
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>

namespace dg {

// `write(tmp)` creates and fills the file named `tmp` (for libraries that open files by name, e.g.
// HDF5); then it is fsync'ed and renamed to `path`. An exception from `write` is rethrown after
// the temporary file is removed.
void write_file_atomic_via(const std::string& path,
                           const std::function<void(const std::string& tmp)>& write);
// `write(f)` writes through `f` (opened "wb"; write_all reports short writes).
void write_file_atomic(const std::string& path, const std::function<void(std::FILE* f)>& write);
void write_file_atomic(const std::string& path, const std::string& bytes);

// fwrite of all n bytes or a dg::Error naming `path` (for use inside write_file_atomic's writer).
void write_all(std::FILE* f, const void* data, size_t n, const std::string& path);

}  // namespace dg
