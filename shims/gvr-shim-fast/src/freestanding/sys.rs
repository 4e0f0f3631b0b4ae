//! The few Linux system calls the fast shim makes, and the memory functions the
//! compiler expects from a C library.

use core::arch::asm;

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
}

const AT_FDCWD: isize = -100;
const O_RDONLY_CLOEXEC: usize = 0o2000000;
const ENOENT: isize = 2;
const ENOTDIR: isize = 20;
const STATX_BASIC_STATS: usize = 0x7ff;

#[cfg(target_arch = "x86_64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let ret: isize;
    asm!("syscall", inlateout("rax") n as isize => ret, in("rdi") a, in("rsi") b, in("rdx") c,
         in("r10") d, in("r8") e, lateout("rcx") _, lateout("r11") _, options(nostack));
    ret
}

#[cfg(target_arch = "aarch64")]
unsafe fn syscall(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> isize {
    let ret: isize;
    asm!("svc 0", in("x8") n, inlateout("x0") a as isize => ret, in("x1") b, in("x2") c,
         in("x3") d, in("x4") e, options(nostack));
    ret
}

pub unsafe fn readlink(path: &[u8], buf: &mut [u8]) -> isize {
    syscall(
        nr::READLINKAT,
        AT_FDCWD as usize,
        path.as_ptr() as usize,
        buf.as_mut_ptr() as usize,
        buf.len(),
        0,
    )
}

pub unsafe fn getcwd(buf: &mut [u8]) -> isize {
    syscall(nr::GETCWD, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0)
}

pub unsafe fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) -> isize {
    syscall(
        nr::EXECVE,
        path as usize,
        argv as usize,
        envp as usize,
        0,
        0,
    )
}

/// Reads a whole small file (NUL-terminated `path`); `None` if it is missing, unreadable
/// or does not fit in `buf`.
pub unsafe fn read_file(path: *const u8, buf: &mut [u8]) -> Option<usize> {
    let fd = syscall(
        nr::OPENAT,
        AT_FDCWD as usize,
        path as usize,
        O_RDONLY_CLOEXEC,
        0,
        0,
    );
    if fd < 0 {
        return None;
    }
    let mut len = 0;
    let result = loop {
        if len == buf.len() {
            break None; // too big for a record
        }
        let n = syscall(
            nr::READ,
            fd as usize,
            buf.as_mut_ptr().add(len) as usize,
            buf.len() - len,
            0,
            0,
        );
        if n < 0 {
            break None;
        }
        if n == 0 {
            break Some(len);
        }
        len += n as usize;
    };
    syscall(nr::CLOSE, fd as usize, 0, 0, 0, 0);
    result
}

pub struct Stat {
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// The file is absent (ENOENT or ENOTDIR), as opposed to any other failure.
pub struct Missing;

/// `stat` (following links) of a NUL-terminated path. Errors other than absence are
/// reported as a signature that never matches.
pub unsafe fn stat(path: *const u8) -> Result<Stat, Missing> {
    let mut buf = [0u8; 256];
    let r = syscall(
        nr::STATX,
        AT_FDCWD as usize,
        path as usize,
        0,
        STATX_BASIC_STATS,
        buf.as_mut_ptr() as usize,
    );
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
    let u64_at = |o: usize| u64::from_ne_bytes(buf[o..o + 8].try_into().unwrap());
    let u32_at = |o: usize| u32::from_ne_bytes(buf[o..o + 4].try_into().unwrap());
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
pub unsafe fn standard_process_state() {
    const F_GETFD: usize = 1;
    const EBADF: isize = 9;
    const O_RDWR: usize = 2;
    for fd in 0..3usize {
        if syscall(nr::FCNTL, fd, F_GETFD, 0, 0, 0) == -EBADF {
            // The lowest free descriptor is `fd` itself.
            if syscall(
                nr::OPENAT,
                AT_FDCWD as usize,
                c"/dev/null".as_ptr() as usize,
                O_RDWR,
                0,
                0,
            ) != fd as isize
            {
                die(b"gvr: cannot open /dev/null for a closed standard descriptor\n");
            }
        }
    }
    const SIG_SETMASK: usize = 2;
    const SIGPIPE: usize = 13;
    let empty: u64 = 0;
    syscall(
        nr::RT_SIGPROCMASK,
        SIG_SETMASK,
        &empty as *const u64 as usize,
        0,
        8,
        0,
    );
    // struct sigaction { handler, flags, restorer, mask }: all zero is SIG_DFL.
    let default = [0u64; 4];
    syscall(
        nr::RT_SIGACTION,
        SIGPIPE,
        default.as_ptr() as usize,
        0,
        8,
        0,
    );
}

/// Seconds since the Unix epoch.
pub unsafe fn now() -> u64 {
    let mut ts = [0i64; 2];
    syscall(
        nr::CLOCK_GETTIME,
        0, /* CLOCK_REALTIME */
        ts.as_mut_ptr() as usize,
        0,
        0,
        0,
    );
    ts[0].max(0) as u64
}

pub unsafe fn write_err(parts: &[&[u8]]) {
    for p in parts {
        syscall(nr::WRITE, 2, p.as_ptr() as usize, p.len(), 0, 0);
    }
}

pub unsafe fn exit(code: usize) -> ! {
    syscall(nr::EXIT_GROUP, code, 0, 0, 0, 0);
    // exit_group does not return.
    core::hint::unreachable_unchecked()
}

pub unsafe fn die(message: &[u8]) -> ! {
    write_err(&[message]);
    exit(127)
}

// The compiler lowers copies and comparisons to these C functions; with no C library
// they must come from here. Volatile accesses keep LLVM from turning the loops back
// into calls to themselves.

#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        core::ptr::write_volatile(dst.add(i), core::ptr::read_volatile(src.add(i)));
    }
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) {
        return memcpy(dst, src, n);
    }
    let mut i = n;
    while i > 0 {
        i -= 1;
        core::ptr::write_volatile(dst.add(i), core::ptr::read_volatile(src.add(i)));
    }
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        core::ptr::write_volatile(dst.add(i), c as u8);
    }
    dst
}

#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        let (x, y) = (
            core::ptr::read_volatile(a.add(i)),
            core::ptr::read_volatile(b.add(i)),
        );
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    memcmp(a, b, n)
}

#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    while core::ptr::read_volatile(s.add(n)) != 0 {
        n += 1;
    }
    n
}
