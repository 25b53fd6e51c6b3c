#include "sim/output_stage.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "golden/errors.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

// What the signal handler removes: plain C strings built before the handler
// is installed, so that it only calls unlink, rmdir and raise
// (async-signal-safe).
struct SignalList {
  std::vector<char*> files;
  std::vector<char*> dirs;
};
SignalList* g_signal_list = nullptr;

void FreeList(SignalList* l) {
  if (l == nullptr) return;
  for (char* p : l->files) std::free(p);
  for (char* p : l->dirs) std::free(p);
  delete l;
}

extern "C" void RemoveStagedAndReraise(int sig) {
  if (g_signal_list != nullptr) {
    for (char* p : g_signal_list->files) ::unlink(p);
    for (char* p : g_signal_list->dirs) ::rmdir(p);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string Pid() { return std::to_string(::getpid()); }

}  // namespace

// SIGINT and SIGTERM stay blocked while files are staged, so that a signal
// in that window is delivered (to the handler) only once Arm() knows every
// staged path.
OutputStage::OutputStage() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &old_mask_);
}

OutputStage::~OutputStage() {
  if (!done_) Abort();
}

std::string OutputStage::AddFile(const std::string& flag,
                                 const std::string& target,
                                 const std::vector<std::string>& companions,
                                 bool optional) {
  const fs::path t(target);
  if (t.filename().empty() || t.filename() == "." || t.filename() == "..") {
    throw InputError(flag + " " + target + ": expected a file name");
  }
  const fs::path parent = t.parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    throw InputError(flag + " " + target +
                     ": expected a file in an existing folder, but " +
                     parent.string() + " is not a folder");
  }
  if (fs::is_directory(t, ec)) {
    throw InputError(flag + " " + target +
                     ": expected a file name, got a folder");
  }
  const std::string staged =
      (parent / ("." + t.filename().string() + ".sparq-" + Pid())).string();
  // The probe: the file must be creatable where its target will be.
  const int fd = ::open(staged.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC,
                        0644);
  if (fd < 0) {
    throw InputError(flag + " " + target + ": cannot create a file there (" +
                     std::strerror(errno) + ")");
  }
  ::close(fd);
  if (optional) ::unlink(staged.c_str());
  remove_files_.push_back(staged);
  for (const std::string& c : companions) remove_files_.push_back(staged + c);
  // SaveNpy / WriteFileAtomically write through "<path>.tmp.PID".
  remove_files_.push_back(staged + ".tmp." + Pid());
  files_.push_back({staged, target, optional});
  return staged;
}

void OutputStage::AddDir(const std::string& flag, const std::string& dir,
                         bool make_parents) {
  flag_dir_ = flag;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw InputError(flag + " " + dir +
                     ": expected a folder (created if missing), got a file");
  }
  if (!fs::exists(dir, ec)) {
    // The missing folders from the outermost in.
    std::vector<fs::path> missing{fs::path(dir)};
    if (make_parents) {
      for (fs::path p = fs::path(dir).parent_path();
           !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.insert(missing.begin(), p);
      }
    }
    const fs::path parent = missing.front().parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
      throw InputError(flag + " " + dir +
                       ": expected a folder in an existing folder, but " +
                       parent.string() + " is not a folder");
    }
    for (const fs::path& m : missing) {
      if (::mkdir(m.c_str(), 0755) != 0) {
        // Another process (a parallel run) may have made it since the check:
        // use it, but it is not ours to remove on failure.
        if (errno == EEXIST && fs::is_directory(m, ec)) continue;
        const std::string err = std::strerror(errno);
        for (const std::string& d : created_dirs_) ::rmdir(d.c_str());
        created_dirs_.clear();
        throw InputError(flag + " " + dir + ": cannot create the folder " +
                         m.string() + " (" + err + ")");
      }
      created_dirs_.insert(created_dirs_.begin(), m.string());
    }
  }
  dir_ = dir;
  stage_dir_ = (fs::path(dir) / (".sparq-stage-" + Pid())).string();
  if (::mkdir(stage_dir_.c_str(), 0755) != 0) {
    const std::string err = std::strerror(errno);
    stage_dir_.clear();
    throw InputError(flag + " " + dir + ": cannot create files there (" + err +
                     ")");
  }
}

std::vector<std::string> OutputStage::DirsDeepestFirst() const {
  std::vector<std::string> dirs = sub_dirs_;
  if (!stage_dir_.empty()) dirs.push_back(stage_dir_);
  dirs.insert(dirs.end(), created_dirs_.begin(), created_dirs_.end());
  return dirs;
}

std::string OutputStage::StageDirFor(const std::string& sub) {
  const std::string d = (fs::path(stage_dir_) / sub).string();
  if (std::find(sub_dirs_.begin(), sub_dirs_.end(), d) == sub_dirs_.end()) {
    if (::mkdir(d.c_str(), 0755) != 0) {
      throw InputError(flag_dir_ + " " + dir_ + ": cannot create " + d + " (" +
                       std::strerror(errno) + ")");
    }
    sub_dirs_.push_back(d);
  }
  return d;
}

std::string OutputStage::AddDirFile(const std::string& relative) {
  const fs::path rel(relative);
  const std::string sub = rel.parent_path().string();
  const std::string staged_dir = sub.empty() ? stage_dir_ : StageDirFor(sub);
  const std::string staged = (fs::path(staged_dir) / rel.filename()).string();
  const int fd = ::open(staged.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC,
                        0644);
  if (fd < 0) {
    throw InputError(flag_dir_ + " " + dir_ + ": cannot create " + relative +
                     " there (" + std::strerror(errno) + ")");
  }
  ::close(fd);
  remove_files_.push_back(staged);
  remove_files_.push_back(staged + ".tmp." + Pid());
  files_.push_back({staged, (fs::path(dir_) / rel).string()});
  return staged;
}

std::string OutputStage::BeginTree() {
  if (stage_dir_.empty()) throw std::logic_error("BeginTree before AddDir");
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, nullptr);
  tree_ = true;
  return stage_dir_;
}

// Every file under the staging folder to the same place under dir_.
void OutputStage::CommitTree(std::string* error) {
  std::error_code ec;
  std::vector<fs::path> staged;
  for (auto it = fs::recursive_directory_iterator(stage_dir_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec)) staged.push_back(it->path());
  }
  if (ec && error->empty()) {
    *error = flag_dir_ + " " + dir_ + ": cannot list " + stage_dir_ + " (" +
             ec.message() + ")";
  }
  for (const fs::path& f : staged) {
    const fs::path target = fs::path(dir_) / f.lexically_relative(stage_dir_);
    fs::create_directories(target.parent_path(), ec);
    if (::rename(f.c_str(), target.c_str()) != 0 && error->empty()) {
      *error = target.string() + ": cannot move " + f.string() +
               " into place (" + std::strerror(errno) + ")";
    }
  }
  fs::remove_all(stage_dir_, ec);
}

void OutputStage::Arm() {
  auto* l = new SignalList;
  for (const std::string& f : remove_files_) {
    l->files.push_back(strdup(f.c_str()));
  }
  for (const std::string& d : DirsDeepestFirst()) {
    l->dirs.push_back(strdup(d.c_str()));
  }
  SignalList* old = g_signal_list;
  g_signal_list = l;
  FreeList(old);
  struct sigaction sa {};
  sa.sa_handler = RemoveStagedAndReraise;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  armed_ = true;
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

void OutputStage::Commit() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, nullptr);
  // A SIGINT/SIGTERM held back while a tree was written: nothing is moved
  // into place, and the signal then takes its default action.
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  if (sigismember(&pending, SIGINT) == 1 ||
      sigismember(&pending, SIGTERM) == 1) {
    Abort();
    throw InputError(flag_dir_ + " " + dir_ +
                     ": interrupted by a signal, nothing written");
  }
  std::string error;
  if (tree_) CommitTree(&error);
  for (const Entry& e : files_) {
    const fs::path parent = fs::path(e.target).parent_path();
    std::error_code ec;
    if (e.optional && !fs::exists(e.staged, ec)) continue;
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (::rename(e.staged.c_str(), e.target.c_str()) != 0 && error.empty()) {
      error = e.target + ": cannot move " + e.staged + " into place (" +
              std::strerror(errno) + ")";
    }
  }
  // Companions (the trace's .hier once the trace is closed), the stage.
  for (const std::string& f : remove_files_) ::unlink(f.c_str());
  for (const std::string& d : sub_dirs_) ::rmdir(d.c_str());
  if (!stage_dir_.empty()) ::rmdir(stage_dir_.c_str());
  done_ = true;
  if (armed_) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
  }
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  if (!error.empty()) throw InputError(error);
}

void OutputStage::Abort() {
  std::error_code ec;
  if (tree_) fs::remove_all(stage_dir_, ec);
  for (const std::string& f : remove_files_) ::unlink(f.c_str());
  for (const std::string& d : DirsDeepestFirst()) ::rmdir(d.c_str());
  done_ = true;
  if (armed_) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
  }
  // A signal that arrived while staging now takes its default action.
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace sparq
