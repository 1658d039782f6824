"""Putting a sandbox back between tests: removal that never recurses, the work directory's snapshot, scratch space.

Runs inside the sandbox as part of the warm runner (its source goes first in the runner's
`-c` program), so it uses the standard library only; the harness uses `remove_tree` for
the session folders it leaves on the host. Nothing here follows a link or opens anything
but a directory (a FIFO in place of a file would block an open), and nothing recurses (a
program can nest folders thousands deep): folders are flattened into their top folder and
emptied from there.
"""

import ctypes
import os
import stat

TMP = "/tmp"
SHM = "/dev/shm"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_IPC_RMID = 0


def _writable(dir_fd, name, info):
    """Give an owner full access to a folder first: a program may have left it mode 000 or 500."""
    if stat.S_IMODE(info.st_mode) & 0o700 != 0o700:
        os.chmod(name, 0o700, dir_fd=dir_fd)  # a folder (checked by lstat); nothing else runs meanwhile


def _spare_name(dir_fd, counter):
    while True:
        counter[0] += 1
        name = f".removing-{counter[0]}"
        try:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return name


def remove_at(dir_fd, name):
    """Remove the entry `name` of the folder `dir_fd`, whatever it is and however deep.

    No recursion and two descriptors at most: each sub-folder is moved up into `dir_fd`
    (under a spare name) and emptied from there. Links are removed, never followed; FIFOs
    and other special files are unlinked, never opened. Raises OSError when something stays.
    """
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    _writable(dir_fd, name, info)
    pending, counter = [name], [0]
    while pending:
        current = pending[-1]
        fd = os.open(current, _DIR_FLAGS, dir_fd=dir_fd)
        try:
            with os.scandir(fd) as entries:
                children = [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
            for child, child_info in children:
                if stat.S_ISDIR(child_info.st_mode):
                    _writable(fd, child, child_info)  # moving a folder rewrites its "..": it must be writable
                    spare = _spare_name(dir_fd, counter)
                    os.rename(child, spare, src_dir_fd=fd, dst_dir_fd=dir_fd)
                    pending.append(spare)
                else:
                    os.unlink(child, dir_fd=fd)
        finally:
            os.close(fd)
        if not any(stat.S_ISDIR(i.st_mode) for _, i in children):
            os.rmdir(current, dir_fd=dir_fd)
            pending.pop()


def clear(path, keep=()):
    """Remove everything in the folder `path` but the names in `keep`; the folder itself stays."""
    fd = os.open(path, _DIR_FLAGS)
    try:
        with os.scandir(fd) as entries:
            names = [entry.name for entry in entries if entry.name not in keep]
        for name in names:
            remove_at(fd, name)
    finally:
        os.close(fd)


def remove_tree(path):
    """Remove the folder `path` and all it holds (see `remove_at`); raises OSError when something stays."""
    parent, name = os.path.split(os.path.abspath(path))
    fd = os.open(parent, _DIR_FLAGS)
    try:
        remove_at(fd, name)
    finally:
        os.close(fd)


def _metadata(path):
    info = os.stat(path, follow_symlinks=False)
    return stat.S_IMODE(info.st_mode), (info.st_atime_ns, info.st_mtime_ns)


def snapshot(root, skip=()):
    """The tree under `root`: {"files": {path: [bytes, mode, times, (inode, ctime)]}, "dirs": {path: (mode, times)}}.

    A walk with a stack, not recursion; only regular files and folders are kept (links and
    special files are not part of a program's files); top-level names in `skip` are left out.
    """
    files, dirs, stack = {}, {"": _metadata(root)}, [""]
    while stack:
        folder = stack.pop()
        with os.scandir(os.path.join(root, folder)) as entries:
            for entry in entries:
                relative = os.path.join(folder, entry.name)
                if relative in skip:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    dirs[relative] = _metadata(entry.path)
                    stack.append(relative)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as handle:
                        content = handle.read()
                    info = entry.stat(follow_symlinks=False)
                    files[relative] = [content, stat.S_IMODE(info.st_mode), (info.st_atime_ns, info.st_mtime_ns),
                                       (info.st_ino, info.st_ctime_ns)]
    return {"files": files, "dirs": dirs}


def _reset_root_metadata(path, mode, times=None):
    os.chmod(path, mode)
    for name in os.listxattr(path, follow_symlinks=False):
        if name.startswith("user."):  # the only ones an unprivileged program can set
            os.removexattr(path, name, follow_symlinks=False)
    if times is not None:
        os.utime(path, ns=times, follow_symlinks=False)


def _prune(root, tree, extra):
    """Remove from `root` whatever is not in the snapshot, and files of it that changed in any way."""
    files, dirs = tree["files"], tree["dirs"]
    stack = [""]
    while stack:
        folder = stack.pop()
        fd = os.open(os.path.join(root, folder) if folder else root, _DIR_FLAGS)
        try:
            with os.scandir(fd) as entries:
                found = [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
            for name, info in found:
                relative = os.path.join(folder, name)
                if not folder and name in extra:
                    continue
                if relative in dirs and stat.S_ISDIR(info.st_mode):
                    _writable(fd, name, info)
                    stack.append(relative)
                elif relative in files and stat.S_ISREG(info.st_mode) and files[relative][3] == (
                        info.st_ino, info.st_ctime_ns):
                    continue  # untouched: same inode, and no write, chmod, utime or xattr since
                else:
                    remove_at(fd, name)
        finally:
            os.close(fd)


def restore(root, tree, extra=()):
    """Put `root` back to exactly `tree` (the snapshot), leaving the harness's `extra` names alone."""
    _prune(root, tree, set(extra))
    for folder in sorted(tree["dirs"]):
        if folder:
            os.makedirs(os.path.join(root, folder), exist_ok=True)
    for name, record in tree["files"].items():
        path = os.path.join(root, name)
        if os.path.lexists(path):
            continue
        content, mode, times, _ = record
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with open(fd, "wb") as handle:
            handle.write(content)
        os.chmod(path, mode)
        os.utime(path, ns=times)
        info = os.stat(path)
        record[3] = (info.st_ino, info.st_ctime_ns)
    for folder, (mode, times) in sorted(tree["dirs"].items(), reverse=True):  # the deepest first: their times last
        _reset_root_metadata(os.path.join(root, folder) if folder else root, mode, times)


def remove_ipc_objects():
    """Remove every SysV shared memory segment, semaphore set and message queue of the namespace."""
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}", "rb") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        if not lines:
            continue  # the usual case: the seccomp filter forbids making them
        libc = ctypes.CDLL(None)
        for line in lines:
            ident = int(line.split()[1])
            if kind == "sem":
                libc.semctl(ident, 0, _IPC_RMID)
            else:
                getattr(libc, f"{kind}ctl")(ident, _IPC_RMID, None)


def usage_kb(path):
    """KiB in use on the file system holding `path` (a tmpfs of the sandbox's own)."""
    info = os.statvfs(path)
    return (info.f_blocks - info.f_bfree) * info.f_frsize // 1024


class Scratch:
    """/tmp and /dev/shm: emptied before every test, their own mode, xattrs and times set back."""

    def __init__(self, paths=(TMP, SHM)):
        self.roots = {path: _metadata(path) for path in paths if os.path.isdir(path)}

    def used_kb(self):
        """What the program left in these memory file systems, in KiB."""
        return sum(usage_kb(path) for path in self.roots)

    def reset(self):
        """Empty them and reset their roots."""
        for path, (mode, times) in self.roots.items():
            clear(path)
            _reset_root_metadata(path, mode, times)
