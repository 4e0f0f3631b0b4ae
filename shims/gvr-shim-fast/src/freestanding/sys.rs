//! The few Linux system calls the fast shim makes, as safe functions over one unsafe
//! `syscall`, and the memory functions the compiler expects from a C library.

use core::arch::asm;
use core::ffi::CStr;

#[cfg(target_arch = "x86_64")]
mod nr {
    pub const READ: usize = 0;
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const EXECVE: usize = 59;
    pub const GETCWD: usize = 79;
    pub const EXIT_GROUP: usize = 231;
    pub const CLOCK_GETTIME: usize = 228;
    pub const OPENAT: usize = 257;
    pub const READLINKAT: usize = 267;
    pub const STATX: usize = 332;
    pub const FCNTL: usize = 72;
    pub const RT_SIGACTION: usize = 13;
    pub const RT_SIGPROCMASK: usize = 14;
    pub const GETEUID: usize = 107;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    pub const READ: usize = 63;
    pub const WRITE: usize = 64;
    pub const CLOSE: usize = 57;
    pub const EXECVE: usize = 221;
    pub const GETCWD: usize = 17;
    pub const EXIT_GROUP: usize = 94;
    pub const CLOCK_GETTIME: usize = 113;
    pub const OPENAT: usize = 56;
    pub const READLINKAT: usize = 78;
    pub const STATX: usize = 291;
    pub const FCNTL: usize = 25;
    pub const RT_SIGACTION: usize = 134;
    pub const RT_SIGPROCMASK: usize = 135;
    pub const GETEUID: usize = 175;
}

const AT_FDCWD: isize = -100;
const O_RDONLY_CLOEXEC: usize = 0o2000000;
const ENOENT: isize = 2;
const ENOTDIR: isize = 20;
const STATX_BASIC_STATS: usize = 0x7ff;
const AT_EMPTY_PATH: usize = 0x1000;

/// A raw system call.
///
/// # Safety
/// The arguments must be what system call `n` expects: pointers valid for the access it
/// makes, for as long as it makes it.
#[cfg(target_arch = "x86_64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let ret: isize;
    // SAFETY: the Linux x86_64 system call convention; the caller vouches for the
    // arguments. rcx and r11 are clobbered by `syscall`.
    unsafe {
        asm!("syscall", inlateout("rax") n as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c,
             in("r10") d, in("r8") e, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// A raw system call.
///
/// # Safety
/// As for the x86_64 version.
#[cfg(target_arch = "aarch64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let ret: isize;
    // SAFETY: the Linux aarch64 system call convention; the caller vouches for the
    // arguments.
    unsafe {
        asm!("svc 0", in("x8") n, inlateout("x0") a as isize => ret, in("x1") b, in("x2") c,
             in("x3") d, in("x4") e, options(nostack));
    }
    ret
}

/// readlink(2) of `path` into `buf`: the length written, or a negative errno.
pub fn readlink(path: &CStr, buf: &mut [u8]) -> isize {
    // SAFETY: `path` is NUL-terminated; the kernel writes at most `buf.len()` bytes.
    unsafe {
        syscall(
            nr::READLINKAT,
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
            0,
        )
    }
}

/// getcwd(2) into `buf` (NUL-terminated on success): the length with the NUL, or a
/// negative errno.
pub fn getcwd(buf: &mut [u8]) -> isize {
    // SAFETY: the kernel writes at most `buf.len()` bytes.
    unsafe { syscall(nr::GETCWD, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0) }
}

/// execve(2); returns only on failure.
///
/// # Safety
/// `argv` and `envp` must be NULL-terminated arrays of pointers to NUL-terminated
/// strings.
pub unsafe fn execve(path: &CStr, argv: *const *const u8, envp: *const *const u8) -> isize {
    // SAFETY: `path` is NUL-terminated; the caller vouches for `argv` and `envp`.
    unsafe {
        syscall(
            nr::EXECVE,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
            0,
            0,
        )
    }
}

/// Reads a whole small file that only this user could have written: a regular file
/// owned by the effective uid, not writable by group or others (checked on the open
/// descriptor, so it is the file read). `None` if it is missing, unreadable, not
/// trusted or does not fit in `buf`.
pub fn read_owned_file(path: &CStr, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: `path` is NUL-terminated; plain flags.
    let fd = unsafe {
        syscall(
            nr::OPENAT,
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            O_RDONLY_CLOEXEC,
            0,
            0,
        )
    };
    if fd < 0 {
        return None;
    }
    let result = if owned_by_me(fd) {
        read_all(fd, buf)
    } else {
        None
    };
    // SAFETY: closes the descriptor opened above, used by nothing else.
    unsafe { syscall(nr::CLOSE, fd as usize, 0, 0, 0, 0) };
    result
}

/// Whether the open file `fd` is a regular file of ours that nobody else may write.
fn owned_by_me(fd: isize) -> bool {
    let mut buf = [0u8; 256];
    // SAFETY: an empty NUL-terminated path with AT_EMPTY_PATH stats `fd` itself;
    // struct statx (256 bytes) fits in `buf`.
    let r = unsafe {
        syscall(
            nr::STATX,
            fd as usize,
            c"".as_ptr() as usize,
            AT_EMPTY_PATH,
            STATX_BASIC_STATS,
            buf.as_mut_ptr() as usize,
        )
    };
    // SAFETY: geteuid takes no arguments and cannot fail.
    let me = unsafe { syscall(nr::GETEUID, 0, 0, 0, 0, 0) };
    // struct statx: stx_uid @20 (u32), stx_mode @28 (u16).
    let uid = u32::from_ne_bytes([buf[20], buf[21], buf[22], buf[23]]);
    let mode = u16::from_ne_bytes([buf[28], buf[29]]);
    const S_IFMT: u16 = 0o170000;
    const S_IFREG: u16 = 0o100000;
    r == 0 && uid as isize == me && mode & S_IFMT == S_IFREG && mode & 0o022 == 0
}

/// Reads `fd` to its end into `buf`; `None` on error or if it does not fit.
fn read_all(fd: isize, buf: &mut [u8]) -> Option<usize> {
    let mut len = 0;
    loop {
        let rest = &mut buf[len..];
        if rest.is_empty() {
            return None; // too big for a record
        }
        // SAFETY: the kernel writes at most `rest.len()` bytes into `rest`.
        let n = unsafe {
            syscall(
                nr::READ,
                fd as usize,
                rest.as_mut_ptr() as usize,
                rest.len(),
                0,
                0,
            )
        };
        if n < 0 {
            return None;
        }
        if n == 0 {
            return Some(len);
        }
        len += n as usize;
    }
}

pub struct Stat {
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// The file is absent (ENOENT or ENOTDIR), as opposed to any other failure.
pub struct Missing;

/// `stat` (following links) of `path`. Errors other than absence are reported as a
/// signature that never matches.
pub fn stat(path: &CStr) -> Result<Stat, Missing> {
    let mut buf = [0u8; 256];
    // SAFETY: `path` is NUL-terminated; struct statx (256 bytes) fits in `buf`.
    let r = unsafe {
        syscall(
            nr::STATX,
            AT_FDCWD as usize,
            path.as_ptr() as usize,
            0,
            STATX_BASIC_STATS,
            buf.as_mut_ptr() as usize,
        )
    };
    if r == -ENOENT || r == -ENOTDIR {
        return Err(Missing);
    }
    if r < 0 {
        // Unknowable: a signature no record holds.
        return Ok(Stat {
            ino: u64::MAX,
            size: u64::MAX,
            mtime: (i64::MIN, 0),
            ctime: (i64::MIN, 0),
        });
    }
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[o..o + 8]);
        u64::from_ne_bytes(b)
    };
    let u32_at = |o: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&buf[o..o + 4]);
        u32::from_ne_bytes(b)
    };
    // struct statx: stx_ino @32, stx_size @40, stx_ctime @96, stx_mtime @112 ({i64 sec, u32 nsec}).
    Ok(Stat {
        ino: u64_at(32),
        size: u64_at(40),
        ctime: (u64_at(96) as i64, u32_at(104)),
        mtime: (u64_at(112) as i64, u32_at(120)),
    })
}

/// What std's `Command::exec` (the full shim's path) gives the tool, so a replayed call
/// starts it the same way: fds 0-2 open (a closed one on /dev/null, so the tool's own
/// files cannot land there), no blocked signals, SIGPIPE at its default.
pub fn standard_process_state() {
    const F_GETFD: usize = 1;
    const EBADF: isize = 9;
    const O_RDWR: usize = 2;
    for fd in 0..3usize {
        // SAFETY: F_GETFD only queries the descriptor's flags.
        if unsafe { syscall(nr::FCNTL, fd, F_GETFD, 0, 0, 0) } == -EBADF {
            // The lowest free descriptor is `fd` itself.
            // SAFETY: a NUL-terminated path and plain flags.
            let opened = unsafe {
                syscall(
                    nr::OPENAT,
                    AT_FDCWD as usize,
                    c"/dev/null".as_ptr() as usize,
                    O_RDWR,
                    0,
                    0,
                )
            };
            if opened != fd as isize {
                die(b"gvr: cannot open /dev/null for a closed standard descriptor\n");
            }
        }
    }
    const SIG_SETMASK: usize = 2;
    const SIGPIPE: usize = 13;
    let empty: u64 = 0;
    // SAFETY: reads one 8-byte signal set from `empty`; no old set is asked for.
    unsafe {
        syscall(
            nr::RT_SIGPROCMASK,
            SIG_SETMASK,
            &empty as *const u64 as usize,
            0,
            8,
            0,
        )
    };
    // struct sigaction { handler, flags, restorer, mask }: all zero is SIG_DFL.
    let default = [0u64; 4];
    // SAFETY: reads one struct sigaction from `default`; no old action is asked for.
    unsafe {
        syscall(
            nr::RT_SIGACTION,
            SIGPIPE,
            default.as_ptr() as usize,
            0,
            8,
            0,
        )
    };
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    let mut ts = [0i64; 2];
    // SAFETY: the kernel writes one struct timespec (two 64-bit words) into `ts`.
    unsafe {
        syscall(
            nr::CLOCK_GETTIME,
            0, /* CLOCK_REALTIME */
            ts.as_mut_ptr() as usize,
            0,
            0,
            0,
        )
    };
    ts[0].max(0) as u64
}

/// Writes `parts` to stderr (best effort).
pub fn write_err(parts: &[&[u8]]) {
    for p in parts {
        // SAFETY: the kernel reads `p.len()` bytes from `p`.
        unsafe { syscall(nr::WRITE, 2, p.as_ptr() as usize, p.len(), 0, 0) };
    }
}

pub fn exit(code: usize) -> ! {
    // SAFETY: no pointers.
    unsafe { syscall(nr::EXIT_GROUP, code, 0, 0, 0, 0) };
    // exit_group does not return; should it ever, loop rather than run on.
    loop {
        core::hint::spin_loop();
    }
}

pub fn die(message: &[u8]) -> ! {
    write_err(&[message]);
    exit(127)
}

// The compiler lowers copies and comparisons to these C functions; with no C library
// they must come from here. Volatile accesses keep LLVM from turning the loops back
// into calls to themselves.

/// # Safety
/// As C's: `src` readable and `dst` writable for `n` bytes, not overlapping.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: within the `n` bytes the caller vouches for.
        unsafe { core::ptr::write_volatile(dst.add(i), core::ptr::read_volatile(src.add(i))) };
    }
    dst
}

/// # Safety
/// As C's: `src` readable and `dst` writable for `n` bytes; they may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) {
        // Copying forwards never overwrites a byte before it is read.
        // SAFETY: the caller's guarantee, and the order above.
        return unsafe { memcpy(dst, src, n) };
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: within the `n` bytes the caller vouches for, backwards.
        unsafe { core::ptr::write_volatile(dst.add(i), core::ptr::read_volatile(src.add(i))) };
    }
    dst
}

/// # Safety
/// As C's: `dst` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: within the `n` bytes the caller vouches for.
        unsafe { core::ptr::write_volatile(dst.add(i), c as u8) };
    }
    dst
}

/// # Safety
/// As C's: `a` and `b` readable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: within the `n` bytes the caller vouches for.
        let (x, y) = unsafe {
            (
                core::ptr::read_volatile(a.add(i)),
                core::ptr::read_volatile(b.add(i)),
            )
        };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

/// # Safety
/// As C's: `a` and `b` readable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// As C's: `s` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: every byte up to the NUL the caller vouches for is readable.
    while unsafe { core::ptr::read_volatile(s.add(n)) } != 0 {
        n += 1;
    }
    n
}
