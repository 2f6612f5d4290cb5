// The *at system calls that Node lacks, for @node/filesystem-jail. Every call runs on the libuv
// thread pool (napi_async_work) and settles a promise, so the event loop never waits on the disk.
// Failures reject with { errno } (a positive errno); the JS side turns it into a Node-style error.
//
// Plain node_api.h (N-API 8): ABI-stable, so one build serves every Node version >= 12.22.

#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

#include <string>
#include <unordered_set>
#include <vector>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 316
#endif

namespace {

long sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  // The kernel refuses a mode without O_CREAT or O_TMPFILE.
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  long fd;
  // EAGAIN: a rename or mount raced with a RESOLVE_BENEATH walk; the kernel asks for a retry.
  for (int attempt = 0; attempt < 32; attempt++) {
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) break;
  }
  return fd;
}

enum class Kind { kInt, kStat, kString };

struct Op {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  // Inputs.
  int call = 0;
  int64_t a = 0, b = 0, c = 0, d = 0;
  std::string s1, s2;
  // Outputs.
  Kind kind = Kind::kInt;
  long result = 0;
  int err = 0;
  struct stat st;
  std::string out;
};

enum Call { kOpenat2, kFstatat, kMkdirat, kUnlinkat, kRenameat2, kLinkat, kSymlinkat, kReadlinkat };

void Execute(napi_env, void* data) {
  Op* op = static_cast<Op*>(data);
  long r = -1;
  errno = 0;
  switch (op->call) {
    case kOpenat2:
      r = sys_openat2((int)op->a, op->s1.c_str(), (uint64_t)op->b, (uint64_t)op->c, (uint64_t)op->d);
      break;
    case kFstatat:
      op->kind = Kind::kStat;
      do r = fstatat((int)op->a, op->s1.c_str(), &op->st, (int)op->b);
      while (r < 0 && errno == EINTR);
      break;
    case kMkdirat:
      r = mkdirat((int)op->a, op->s1.c_str(), (mode_t)op->b);
      break;
    case kUnlinkat:
      do r = unlinkat((int)op->a, op->s1.c_str(), (int)op->b);
      while (r < 0 && errno == EINTR);
      break;
    case kRenameat2:
      if (op->c == 0) {
        r = renameat((int)op->a, op->s1.c_str(), (int)op->b, op->s2.c_str());
      } else {
        r = syscall(SYS_renameat2, (int)op->a, op->s1.c_str(), (int)op->b, op->s2.c_str(),
                    (unsigned)op->c);
      }
      break;
    case kLinkat:
      r = linkat((int)op->a, op->s1.c_str(), (int)op->b, op->s2.c_str(), (int)op->c);
      break;
    case kSymlinkat:
      r = symlinkat(op->s1.c_str(), (int)op->a, op->s2.c_str());
      break;
    case kReadlinkat: {
      op->kind = Kind::kString;
      char buf[4097];
      ssize_t n = readlinkat((int)op->a, op->s1.c_str(), buf, sizeof buf);
      if (n >= (ssize_t)sizeof buf) {
        errno = ENAMETOOLONG;
        n = -1;
      }
      if (n >= 0) op->out.assign(buf, (size_t)n);
      r = n < 0 ? -1 : 0;
      break;
    }
    default:
      errno = ENOSYS;
  }
  op->result = r;
  op->err = r < 0 ? errno : 0;
}

double TimeMs(const struct timespec& ts) {
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void Complete(napi_env env, napi_status, void* data) {
  Op* op = static_cast<Op*>(data);
  napi_value value;
  if (op->err != 0) {
    napi_value code;
    napi_create_object(env, &value);
    napi_create_int32(env, op->err, &code);
    napi_set_named_property(env, value, "errno", code);
    napi_reject_deferred(env, op->deferred, value);
  } else {
    switch (op->kind) {
      case Kind::kInt:
        napi_create_int64(env, op->result, &value);
        break;
      case Kind::kString:
        // Bytes, not a string: a link target need not be UTF-8.
        napi_create_buffer_copy(env, op->out.size(), op->out.data(), nullptr, &value);
        break;
      case Kind::kStat: {
        // Order matches NativeStat in src/resolver/native-binding.ts.
        const double fields[] = {
            (double)op->st.st_dev,   (double)op->st.st_ino,   (double)op->st.st_mode,
            (double)op->st.st_nlink, (double)op->st.st_uid,   (double)op->st.st_gid,
            (double)op->st.st_rdev,  (double)op->st.st_size,  (double)op->st.st_blocks,
            TimeMs(op->st.st_atim),  TimeMs(op->st.st_mtim),  TimeMs(op->st.st_ctim),
        };
        const size_t n = sizeof fields / sizeof fields[0];
        napi_create_array_with_length(env, n, &value);
        for (size_t i = 0; i < n; i++) {
          napi_value field;
          napi_create_double(env, fields[i], &field);
          napi_set_element(env, value, (uint32_t)i, field);
        }
        break;
      }
    }
    napi_resolve_deferred(env, op->deferred, value);
  }
  napi_delete_async_work(env, op->work);
  delete op;
}

bool GetInt(napi_env env, napi_value v, int64_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

// A path or name: a string (taken as UTF-8) or a Buffer (taken byte for byte, for names that are
// not UTF-8). Refuses embedded NUL bytes: the C string would silently end early and name another
// file.
bool GetString(napi_env env, napi_value v, std::string* out) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok) return false;
  if (is_buffer) {
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) return false;
    out->assign(static_cast<const char*>(data), len);
    return out->find('\0') == std::string::npos;
  }
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len + 1);
  if (napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len) != napi_ok) return false;
  out->resize(len);
  return out->find('\0') == std::string::npos;
}

// Argument layouts: 'i' integer into a, b, c, d in order; 's' string into s1, s2 in order.
napi_value Start(napi_env env, napi_callback_info info, int call, const char* layout) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Op* op = new Op();
  op->call = call;
  int64_t* ints[] = {&op->a, &op->b, &op->c, &op->d};
  std::string* strs[] = {&op->s1, &op->s2};
  size_t ni = 0, ns = 0;
  size_t want = strlen(layout);
  bool ok = argc >= want;
  for (size_t i = 0; ok && i < want; i++) {
    ok = layout[i] == 'i' ? GetInt(env, argv[i], ints[ni++]) : GetString(env, argv[i], strs[ns++]);
  }
  if (!ok) {
    delete op;
    napi_throw_type_error(env, nullptr, "filesystem-jail native: bad arguments");
    return nullptr;
  }
  napi_value promise, name;
  napi_create_promise(env, &op->deferred, &promise);
  napi_create_string_utf8(env, "filesystem-jail", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, Execute, Complete, op, &op->work);
  napi_queue_async_work(env, op->work);
  return promise;
}

// openat2(dirfd, path, flags, mode, resolve): Promise<fd>
napi_value Openat2(napi_env env, napi_callback_info info) {
  return Start(env, info, kOpenat2, "isiii");
}
// fstatat(dirfd, name, flags): Promise<number[]>
napi_value Fstatat(napi_env env, napi_callback_info info) { return Start(env, info, kFstatat, "isi"); }
// mkdirat(dirfd, name, mode): Promise<0>
napi_value Mkdirat(napi_env env, napi_callback_info info) { return Start(env, info, kMkdirat, "isi"); }
// unlinkat(dirfd, name, flags): Promise<0>
napi_value Unlinkat(napi_env env, napi_callback_info info) {
  return Start(env, info, kUnlinkat, "isi");
}
// renameat2(olddirfd, oldname, newdirfd, newname, flags): Promise<0>
napi_value Renameat2(napi_env env, napi_callback_info info) {
  return Start(env, info, kRenameat2, "isisi");
}
// linkat(olddirfd, oldname, newdirfd, newname, flags): Promise<0>
napi_value Linkat(napi_env env, napi_callback_info info) { return Start(env, info, kLinkat, "isisi"); }
// symlinkat(target, newdirfd, name): Promise<0>
napi_value Symlinkat(napi_env env, napi_callback_info info) {
  return Start(env, info, kSymlinkat, "sis");
}
// readlinkat(dirfd, name): Promise<Buffer>
napi_value Readlinkat(napi_env env, napi_callback_info info) {
  return Start(env, info, kReadlinkat, "is");
}

// probe(): 0 when openat2 with RESOLVE_BENEATH works here, else the errno (ENOSYS on kernels
// before 5.6 or under a seccomp filter that does not know the call). Synchronous: one cheap call
// at start-up.
napi_value Probe(napi_env env, napi_callback_info) {
  long fd = sys_openat2(AT_FDCWD, ".", O_PATH | O_DIRECTORY, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) close((int)fd);
  napi_value v;
  napi_create_int32(env, err, &v);
  return v;
}

// ---- Disk usage --------------------------------------------------------------------------
// du for one server root: the sum of st_size of regular files (each inode once), never following
// a symlink. Synchronous on purpose: it is called from a worker thread (src/usage-walk-worker.ts),
// so it blocks neither the event loop nor the libuv pool.

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno& o) const { return dev == o.dev && ino == o.ino; }
};
struct DevInoHash {
  size_t operator()(const DevIno& k) const {
    return std::hash<uint64_t>()((uint64_t)k.ino * 1000003u ^ (uint64_t)k.dev);
  }
};
struct Usage {
  double bytes = 0;
  double files = 0;
  std::unordered_set<DevIno, DevInoHash> seen;
};

// Deeper than this, directories are opened by path beneath the deepest held descriptor (with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) instead of one held descriptor per level, so a hostile
// tree cannot exhaust descriptors.
const int kMaxFdDepth = 128;

// Counts the regular files in the directory open as `fd` (not consumed) and collects the names
// of its subdirectories.
void ReadEntries(int fd, std::vector<std::string>* subdirs, Usage* usage) {
  int listing = dup(fd);
  if (listing < 0) return;
  DIR* dir = fdopendir(listing);
  if (dir == nullptr) {
    close(listing);
    return;
  }
  for (struct dirent* e = readdir(dir); e != nullptr; e = readdir(dir)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    if (e->d_type == DT_LNK) continue;
    if (e->d_type == DT_DIR) {
      subdirs->emplace_back(name);
      continue;
    }
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
    if (S_ISDIR(st.st_mode)) {
      subdirs->emplace_back(name);
    } else if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1 && !usage->seen.insert(DevIno{st.st_dev, st.st_ino}).second) continue;
      usage->bytes += (double)st.st_size;
      usage->files += 1;
    }
  }
  closedir(dir);
}

void WalkDeep(int anchor, const std::string& rel, Usage* usage) {
  long fd = sys_openat2(anchor, rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return;
  std::vector<std::string> subdirs;
  ReadEntries((int)fd, &subdirs, usage);
  close((int)fd);
  for (const auto& sub : subdirs) WalkDeep(anchor, rel + "/" + sub, usage);
}

// Walks the directory open as `fd` (consumed).
void WalkFd(int fd, int depth, Usage* usage) {
  std::vector<std::string> subdirs;
  ReadEntries(fd, &subdirs, usage);
  for (const auto& sub : subdirs) {
    if (depth + 1 >= kMaxFdDepth) {
      WalkDeep(fd, sub, usage);
      continue;
    }
    int child = openat(fd, sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child >= 0) WalkFd(child, depth + 1, usage);
  }
  close(fd);
}

// duSync(rootFd): [bytes, files]. rootFd may be an O_PATH descriptor; it is not consumed.
napi_value DuSync(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t root = -1;
  if (argc < 1 || !GetInt(env, argv[0], &root)) {
    napi_throw_type_error(env, nullptr, "filesystem-jail native: bad arguments");
    return nullptr;
  }
  int fd = openat((int)root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    napi_throw_error(env, nullptr, strerror(errno));
    return nullptr;
  }
  Usage usage;
  WalkFd(fd, 0, &usage);
  napi_value result, bytes, files;
  napi_create_array_with_length(env, 2, &result);
  napi_create_double(env, usage.bytes, &bytes);
  napi_create_double(env, usage.files, &files);
  napi_set_element(env, result, 0, bytes);
  napi_set_element(env, result, 1, files);
  return result;
}

void SetInt(napi_env env, napi_value obj, const char* name, int64_t v) {
  napi_value value;
  napi_create_int64(env, v, &value);
  napi_set_named_property(env, obj, name, value);
}

napi_value Init(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {
      {"openat2", Openat2},   {"fstatat", Fstatat},   {"mkdirat", Mkdirat},
      {"unlinkat", Unlinkat}, {"renameat2", Renameat2}, {"linkat", Linkat},
      {"symlinkat", Symlinkat}, {"readlinkat", Readlinkat}, {"probe", Probe},
      {"duSync", DuSync},
  };
  for (const auto& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  napi_value constants;
  napi_create_object(env, &constants);
  SetInt(env, constants, "O_PATH", O_PATH);
  SetInt(env, constants, "O_DIRECTORY", O_DIRECTORY);
  SetInt(env, constants, "O_NOFOLLOW", O_NOFOLLOW);
  SetInt(env, constants, "O_NONBLOCK", O_NONBLOCK);
  SetInt(env, constants, "O_CREAT", O_CREAT);
  SetInt(env, constants, "O_EXCL", O_EXCL);
  SetInt(env, constants, "O_RDONLY", O_RDONLY);
  SetInt(env, constants, "O_WRONLY", O_WRONLY);
  SetInt(env, constants, "O_RDWR", O_RDWR);
  SetInt(env, constants, "O_TRUNC", O_TRUNC);
  SetInt(env, constants, "AT_FDCWD", AT_FDCWD);
  SetInt(env, constants, "AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW);
  SetInt(env, constants, "AT_REMOVEDIR", AT_REMOVEDIR);
  SetInt(env, constants, "AT_EMPTY_PATH", AT_EMPTY_PATH);
  SetInt(env, constants, "RENAME_NOREPLACE", 1);
  SetInt(env, constants, "RESOLVE_BENEATH", RESOLVE_BENEATH);
  SetInt(env, constants, "RESOLVE_NO_MAGICLINKS", RESOLVE_NO_MAGICLINKS);
  SetInt(env, constants, "RESOLVE_NO_SYMLINKS", RESOLVE_NO_SYMLINKS);
  napi_set_named_property(env, exports, "constants", constants);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
