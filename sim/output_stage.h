// All outputs of one `sparq run` (JSON report, every .npy, the FST trace and
// its .hier companion) and of one `sparq compress` (a folder's tree) are
// written under staged names next to their targets and renamed into place
// together by Commit(). Adding a target probes it
// (its folder exists, a file can be created there), so a bad output path is
// an input error before anything runs. Until Commit(), an exception (the
// destructor) or SIGINT/SIGTERM (Arm()) removes everything staged and every
// folder the stage created: a failed or interrupted run leaves nothing.

#ifndef SPARQ_SIM_OUTPUT_STAGE_H_
#define SPARQ_SIM_OUTPUT_STAGE_H_

#include <signal.h>

#include <string>
#include <vector>

namespace sparq {

class OutputStage {
 public:
  OutputStage();
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  // Stages file `target` (named by `flag` in errors) and returns the staged
  // path to write; `companions` are suffixes of files a writer may create
  // next to the staged one (".hier"), removed with it. An `optional` file
  // (the trace, opened only when the run reaches its window) is probed and
  // removed again; Commit() moves it only if it was written.
  std::string AddFile(const std::string& flag, const std::string& target,
                      const std::vector<std::string>& companions = {},
                      bool optional = false);
  // Stages folder `dir` (created if missing; its missing parents too when
  // `make_parents`, else its parent must exist); AddDirFile then stages
  // `dir`/`relative` (one sub-folder level, e.g. "rtl/conv1.npy").
  void AddDir(const std::string& flag, const std::string& dir,
              bool make_parents = false);
  std::string AddDirFile(const std::string& relative);

  // For outputs whose names are known only once they are written (`sparq
  // compress`): blocks SIGINT/SIGTERM again and returns the staging folder
  // of AddDir's `dir`, in which the caller writes any tree of files.
  // Commit() moves every file of that tree to the same place under `dir`;
  // a signal that arrived meanwhile makes Commit() remove the tree instead
  // and then take its default action, and an exception (the destructor)
  // removes it: an interrupted or failed export leaves nothing.
  std::string BeginTree();

  // Installs the SIGINT/SIGTERM handler that removes what is staged and
  // re-raises the signal. Call after the last Add*. From construction to
  // Arm() the two signals are blocked (delivered at Arm()).
  void Arm();
  // Renames every staged file into place (signals blocked meanwhile) and
  // removes what is left of the staging. Throws InputError if a rename fails.
  void Commit();

 private:
  void Abort();
  std::string StageDirFor(const std::string& sub);

  std::string flag_dir_;    // the --outputs flag
  std::string dir_;         // the --outputs folder ("" if none)
  std::string stage_dir_;   // dir_/.sparq-stage-PID
  struct Entry {
    std::string staged, target;
    bool optional = false;
  };
  std::vector<Entry> files_;
  // Removed on abort: files (staged and companions), then folders, deepest
  // first.
  std::vector<std::string> remove_files_;
  std::vector<std::string> sub_dirs_;  // of stage_dir_
  // Folders this stage created (dir_ and, with make_parents, its missing
  // parents), deepest first.
  std::vector<std::string> created_dirs_;
  bool tree_ = false;  // BeginTree() was called
  void CommitTree(std::string* error);
  std::vector<std::string> DirsDeepestFirst() const;
  sigset_t old_mask_;  // the signal mask before the stage blocked signals
  bool armed_ = false;
  bool done_ = false;
};

}  // namespace sparq

#endif  // SPARQ_SIM_OUTPUT_STAGE_H_
