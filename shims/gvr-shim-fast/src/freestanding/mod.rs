//! The freestanding program: entry point, system calls, and the replay of a recorded
//! decision. No allocation: fixed buffers, and anything that does not fit hands over.
//!
//! The unsafe parts are the start-up (reading argv and the environment off the stack
//! the kernel built), the one borrow of the static buffers, and execve; everything
//! between works on slices the compiler checks.

use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::ptr::null;
use core::sync::atomic::{AtomicBool, Ordering};

use gvr_shim_fast::{
    key, parent, parse_u64, runs_from_home, split_once, write_identity, Writer, DECISIONS_DIR,
    FULL_DIR, HEADER, TOOLS,
};

mod sys;

const MAX_ENV: usize = 4096;

/// The program's memory. A static, so it sits in .bss and costs nothing until touched:
/// zeroing 110 KB of stack on every call would cost more than the replay itself.
struct Buffers {
    exe: [u8; 4096],
    cwd: [u8; 4096],
    path: [u8; 4352],
    record: [u8; 65536],
    envp: [*const u8; MAX_ENV + 64],
}

/// A static that is borrowed mutably at most once, ever: [`TakeOnce::take`] checks a
/// flag, so the `&mut` it hands out is the only reference there will be.
struct TakeOnce<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the only access to `value` is through `take`, which the flag lets succeed
// once, so no two references to it can exist, on any number of threads (and this
// program has one: it never calls clone(2)). The raw pointers inside are plain data.
unsafe impl<T> Sync for TakeOnce<T> {}

impl<T> TakeOnce<T> {
    // A `&mut` from `&self` is the point: the flag makes it unique.
    #[allow(clippy::mut_from_ref)]
    fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the flag was clear, so this is the first and only borrow.
        Some(unsafe { &mut *self.value.get() })
    }
}

static BUFFERS: TakeOnce<Buffers> = TakeOnce {
    taken: AtomicBool::new(false),
    value: UnsafeCell::new(Buffers {
        exe: [0; 4096],
        cwd: [0; 4096],
        path: [0; 4352],
        record: [0; 65536],
        envp: [null(); MAX_ENV + 64],
    }),
};

#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
extern "C" fn _start() -> ! {
    // The kernel leaves argc at the stack pointer, then argv[], NULL, envp[], NULL.
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym entry,
    );
}

#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
#[no_mangle]
extern "C" fn _start() -> ! {
    core::arch::naked_asm!("mov x29, xzr", "mov x0, sp", "bl {entry}", "brk #0", entry = sym entry);
}

/// The arguments as the kernel laid them out: `argc` pointers to NUL-terminated
/// strings, then NULL. The array is writable (it is on our stack).
struct Argv(*mut *const u8);

impl Argv {
    fn as_ptr(&self) -> *const *const u8 {
        self.0
    }
    /// Swaps argv[0] (there is one: `entry` checked argc).
    fn replace_first(&mut self, p: *const u8) -> *const u8 {
        // SAFETY: argv[0] exists and is ours to write (see `entry`).
        unsafe { core::mem::replace(&mut *self.0, p) }
    }
}

/// The environment as the kernel laid it out: pointers to NUL-terminated `NAME=value`
/// strings, then NULL, all valid until this process execs.
struct Environ(*const *const u8);

impl Environ {
    fn as_ptr(&self) -> *const *const u8 {
        self.0
    }

    /// Each `NAME=value` entry, in order.
    fn iter(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        let mut i = 0;
        core::iter::from_fn(move || {
            // SAFETY: the list is NULL-terminated and we stop at the NULL.
            let p = unsafe { *self.0.add(i) };
            if p.is_null() {
                return None;
            }
            i += 1;
            // SAFETY: every entry is a NUL-terminated string that outlives the process
            // image (see the type's invariant).
            Some(unsafe { CStr::from_ptr(p.cast()) }.to_bytes())
        })
    }

    /// AT_EXECFN from the auxiliary vector the kernel puts after the environment: the
    /// path execve(2) was given for this program.
    fn exec_fn(&self) -> Option<&'static CStr> {
        const AT_NULL: usize = 0;
        const AT_EXECFN: usize = 31;
        let mut i = 0;
        // SAFETY: the list is NULL-terminated and we stop at the NULL.
        while !unsafe { *self.0.add(i) }.is_null() {
            i += 1;
        }
        // SAFETY: the kernel's initial stack has the auxiliary vector right after the
        // environment's NULL: (type, value) pairs of words, ending with AT_NULL.
        let mut aux = unsafe { self.0.add(i + 1) }.cast::<usize>();
        loop {
            // SAFETY: within the vector, which ends with AT_NULL (we stop there).
            let (kind, value) = unsafe { (*aux, *aux.add(1)) };
            match kind {
                AT_NULL => return None,
                // SAFETY: AT_EXECFN's value points to a NUL-terminated string on the
                // initial stack, valid for the life of this process image.
                AT_EXECFN => return Some(unsafe { CStr::from_ptr(value as *const _) }),
                // SAFETY: not AT_NULL, so another pair follows.
                _ => aux = unsafe { aux.add(2) },
            }
        }
    }

    /// The first `NAME=value` entry for `name`, as the C library's getenv finds it.
    fn get(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.iter().find(|entry| {
            entry.len() > name.len() && entry[name.len()] == b'=' && &entry[..name.len()] == name
        })
    }
}

/// Called by `_start` with the stack pointer the kernel set up.
extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: `_start` passes the initial stack: argc, argv[argc], NULL, envp…, NULL.
    let argc = unsafe { *sp };
    if argc == 0 {
        // Old kernels allow it; argv[0] is then the terminator the tool's argv needs.
        sys::die(b"gvr: the shim was started without argv[0]\n");
    }
    // SAFETY: argv follows argc, envp follows argv's NULL (the layout above); both stay
    // valid, and argv writable, for the life of this process image.
    let (mut argv, env) = unsafe {
        let argv = sp.add(1) as *mut *const u8;
        (Argv(argv), Environ(argv.add(argc + 1) as *const *const u8))
    };
    let Some(buffers) = BUFFERS.take() else {
        sys::die(b"gvr: the fast shim's buffers were taken twice\n");
    };
    let Buffers {
        exe,
        cwd,
        path,
        record,
        envp,
    } = buffers;

    let room = exe.len() - 1;
    let n = sys::readlink(c"/proc/self/exe", &mut exe[..room]);
    let mut exe_len = if n > 0 {
        n as usize
    } else {
        // No /proc (a chroot, a sandbox): the path the kernel was asked to run.
        match path_from_auxv(&env, exe, cwd, path) {
            Some(len) => len,
            None => sys::die(
                b"gvr: cannot find the shim's own path (no /proc/self/exe, no AT_EXECFN)\n",
            ),
        }
    };
    // Replaced while running (a rehash): the name still says which tool it was.
    if exe[..exe_len].ends_with(b" (deleted)") {
        exe_len -= b" (deleted)".len();
    }
    let exe = &exe[..exe_len];
    let slash = exe.iter().rposition(|&b| b == b'/').unwrap_or(0);
    let (dir, tool) = (&exe[..slash], &exe[slash + 1..]);

    if !TOOLS.contains(&tool) {
        // A copy under another name (the full shim says the same).
        sys::write_err(&[b"gvr: `", tool, b"` is not a tool gvr shims (it runs go and gofmt from the selected SDK and the pinned gopls)\n"]);
        sys::exit(127);
    }
    let mut scratch = Scratch {
        cwd,
        path,
        record,
        envp,
    };
    replay(dir, tool, &mut argv, &env, &mut scratch);
    hand_over(dir, tool, &argv, &env, scratch.path)
}

/// The shim's own path without /proc: the kernel's AT_EXECFN (the path execve(2) was
/// given), made absolute with the current directory, and a symlink to the shim
/// followed one level, as /proc/self/exe would have it. Written to `exe`; its length.
fn path_from_auxv(
    env: &Environ,
    exe: &mut [u8],
    cwd: &mut [u8],
    scratch: &mut [u8],
) -> Option<usize> {
    let execfn = env.exec_fn()?.to_bytes();
    let mut w = Writer::new(exe);
    if execfn.first() != Some(&b'/') {
        if sys::getcwd(cwd) <= 0 {
            return None;
        }
        let cwd_len = cwd.iter().position(|&b| b == 0)?;
        w.put(&cwd[..cwd_len]);
        w.put(b"/");
    }
    w.put(execfn);
    if !w.terminate() {
        return None;
    }
    let len = w.len - 1;
    let link = CStr::from_bytes_with_nul(&exe[..=len]).ok()?;
    let n = sys::readlink(link, scratch);
    if n <= 0 {
        return Some(len); // not a symlink
    }
    let target = &scratch[..n as usize];
    // An absolute target replaces the path, a relative one its last component.
    let from = if target.first() == Some(&b'/') {
        0
    } else {
        exe[..len].iter().rposition(|&b| b == b'/')? + 1
    };
    let end = from + target.len();
    if end >= exe.len() {
        return None;
    }
    exe[from..end].copy_from_slice(target);
    exe[end] = 0;
    Some(end)
}

/// The buffers `replay` works in.
struct Scratch<'a> {
    cwd: &'a mut [u8; 4096],
    path: &'a mut [u8; 4352],
    record: &'a mut [u8; 65536],
    envp: &'a mut [*const u8; MAX_ENV + 64],
}

/// Execs the full shim `<dir>/.full/<tool>` with the original arguments and environment.
fn hand_over(dir: &[u8], tool: &[u8], argv: &Argv, env: &Environ, path: &mut [u8]) -> ! {
    let mut w = Writer::new(path);
    w.put(dir);
    w.put(b"/");
    w.put(FULL_DIR);
    w.put(b"/");
    w.put(tool);
    if w.terminate() {
        let len = w.len;
        if let Ok(full) = CStr::from_bytes_with_nul(&path[..len]) {
            // SAFETY: argv and the environment are the kernel's NULL-terminated lists.
            unsafe { sys::execve(full, argv.as_ptr(), env.as_ptr()) };
        }
    }
    sys::die(b"gvr: cannot run the full shim in <shims>/.full/; run `gvr rehash`\n")
}

/// Tries the recorded decision; returns only when it does not apply.
fn replay(dir: &[u8], tool: &[u8], argv: &mut Argv, env: &Environ, s: &mut Scratch) {
    let (cwd, path, record, env_out) = (
        &mut s.cwd[..],
        &mut s.path[..],
        &mut s.record[..],
        &mut s.envp[..],
    );
    if sys::getcwd(cwd) <= 0 {
        return;
    }
    let cwd_len = cwd.iter().position(|&b| b == 0).unwrap_or(0);
    let cwd = &cwd[..cwd_len];

    let mut w = Writer::new(path);
    w.put(dir);
    w.put(b"/");
    w.put(DECISIONS_DIR);
    w.put(b"/");
    w.hex(key(tool, cwd));
    if !w.terminate() {
        return;
    }
    let len = w.len;
    let Ok(record_path) = CStr::from_bytes_with_nul(&path[..len]) else {
        return;
    };
    let room = record.len() - 1;
    // Only a record this user alone could have written.
    let Some(len) = sys::read_owned_file(record_path, &mut record[..room]) else {
        return;
    };
    // Lines become C strings in place, so values can be passed to execve as they are.
    for b in record[..len].iter_mut() {
        if *b == b'\n' {
            *b = 0;
        }
    }
    record[len] = 0;
    let record = &record[..len + 1];
    let text = &record[..len];

    let mut lines = text.split(|&b| b == 0);
    if lines.next() != Some(HEADER) {
        return;
    }
    // Where the program's path starts, and where the `set`/`unset` lines after it do.
    let mut program_at = None;
    let mut ops_from = 0usize;
    let mut offset = HEADER.len() + 1;
    // Each of expires, tool, cwd and shim exactly once, and `end` last: a truncated or
    // hand-made record is not replayed.
    let (mut expires, mut tools, mut cwds, mut shims, mut ended) = (0, 0, 0, 0, false);
    for line in lines {
        let at = offset;
        offset += line.len() + 1;
        if line.is_empty() {
            continue;
        }
        if ended {
            return;
        }
        let (kind, rest) = split_once(line, b' ');
        match kind {
            b"expires" => match parse_u64(rest) {
                Some(t) if sys::now() < t => expires += 1,
                _ => return,
            },
            b"tool" if rest == tool => tools += 1,
            b"cwd" if rest == cwd => cwds += 1,
            b"end" if program_at.is_some() && rest.is_empty() => ended = true,
            b"env+" => {
                let (name, _) = split_once(rest, b'=');
                if env.get(name) != Some(rest) {
                    return;
                }
            }
            b"env-" => {
                if env.get(rest).is_some() {
                    return;
                }
            }
            b"file" => {
                let (sig, file) = split_once(rest, b' ');
                if file.is_empty() || !signature_matches(file, sig, path) {
                    return;
                }
            }
            // The full shim that decided is still the one in .full/.
            b"shim" => {
                let (id, file) = split_once(rest, b' ');
                if file.is_empty() || !identity_matches(file, id, path) {
                    return;
                }
                shims += 1;
            }
            // Only gvr's own files, named in full after one space.
            b"exec" if program_at.is_none() && runs_from_home(rest, parent(dir)) => {
                program_at = Some(at + b"exec ".len());
                ops_from = offset;
            }
            // `set NAME=value` and `unset NAME`, after `exec`.
            b"set" if program_at.is_some() && is_assignment(rest) => {}
            b"unset" if program_at.is_some() && !rest.is_empty() => {}
            _ => return, // an unknown or misplaced line: not a record this binary can trust
        }
    }
    let Some(program_at) = program_at else {
        return;
    };
    if !ended || (expires, tools, cwds, shims) != (1, 1, 1, 1) {
        return;
    }
    let Ok(program) = CStr::from_bytes_until_nul(&record[program_at..]) else {
        return;
    };
    let ops_from = ops_from.min(text.len());
    if apply(env, record, ops_from, env_out) {
        sys::standard_process_state();
        let argv0 = argv.replace_first(program.as_ptr().cast());
        // SAFETY: argv is the kernel's list with argv[0] now the program (a C string in
        // `record`, which lives in the static buffers); env_out was NULL-terminated by
        // `apply` and points into the environment and `record`.
        unsafe { sys::execve(program, argv.as_ptr(), env_out.as_ptr()) };
        // An exec failure is the full shim's to report, with the arguments as given.
        argv.replace_first(argv0);
    }
}

/// Fills `out` with the environment after the record's `set`/`unset` lines (those from
/// `ops_from` on, NUL-separated in `record`), NULL-terminated. False if it cannot.
fn apply(env: &Environ, record: &[u8], ops_from: usize, out: &mut [*const u8]) -> bool {
    let ops = &record[ops_from..record.len() - 1];
    let mut n = 0;
    for (i, entry) in env.iter().enumerate() {
        let (name, _) = split_once(entry, b'=');
        // std (the full shim) would drop an entry without `=` and keep one value per
        // name; rather than imitate which, let it decide.
        if name.len() == entry.len()
            || env
                .iter()
                .take(i)
                .any(|earlier| split_once(earlier, b'=').0 == name)
        {
            return false;
        }
        if !touched(ops, name) {
            if n >= MAX_ENV {
                return false;
            }
            out[n] = entry.as_ptr();
            n += 1;
        }
    }
    let mut offset = ops_from;
    for line in ops.split(|&b| b == 0) {
        if line.starts_with(b"set ") {
            if n >= out.len() - 1 {
                return false;
            }
            // `NAME=value`, NUL-terminated in place.
            out[n] = record[offset + b"set ".len()..].as_ptr();
            n += 1;
        }
        offset += line.len() + 1;
    }
    out[n] = null();
    true
}

/// Whether the record sets or unsets `name`.
fn touched(ops: &[u8], name: &[u8]) -> bool {
    ops.split(|&b| b == 0).any(|line| {
        if let Some(a) = line.strip_prefix(b"set ") {
            split_once(a, b'=').0 == name
        } else if let Some(n) = line.strip_prefix(b"unset ") {
            n == name
        } else {
            false
        }
    })
}

/// `-` for a missing file, else `<ino>:<size>:<mtime s>.<ns>:<ctime s>.<ns>` — the same
/// text `gvr_core::decision::signature` writes. `path` is scratch space.
fn signature_matches(file: &[u8], expected: &[u8], path: &mut [u8]) -> bool {
    let mut w = Writer::new(path);
    w.put(file);
    let Some(file) = w.into_c_str() else {
        return false;
    };
    let mut buf = [0u8; 96];
    let mut s = Writer::new(&mut buf);
    match sys::stat(file) {
        Ok(st) => {
            s.udec(st.ino);
            s.put(b":");
            s.udec(st.size);
            s.put(b":");
            s.dec(st.mtime.0);
            s.put(b".");
            s.dec(st.mtime.1 as i64);
            s.put(b":");
            s.dec(st.ctime.0);
            s.put(b".");
            s.dec(st.ctime.1 as i64);
        }
        Err(sys::Missing) => s.put(b"-"),
    }
    let len = s.len;
    !s.overflow && &buf[..len] == expected
}

/// `NAME=value` with a name.
fn is_assignment(s: &[u8]) -> bool {
    s.iter().position(|&b| b == b'=').is_some_and(|i| i > 0)
}

/// Whether `file` is still the binary with `identity` (`<ino>:<size>:<mtime>`, see
/// `gvr_core::decision::identity`). `path` is scratch space.
fn identity_matches(file: &[u8], identity: &[u8], path: &mut [u8]) -> bool {
    let mut w = Writer::new(path);
    w.put(file);
    let Some(file) = w.into_c_str() else {
        return false;
    };
    let Ok(st) = sys::stat(file) else {
        return false;
    };
    let mut buf = [0u8; 80];
    let mut s = Writer::new(&mut buf);
    write_identity(&mut s, st.ino, st.size, st.mtime);
    let len = s.len;
    !s.overflow && &buf[..len] == identity
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    sys::die(b"gvr: the fast shim panicked; run `gvr rehash`\n")
}

/// The precompiled `core` refers to the unwinding personality routine; with
/// `panic = "abort"` nothing ever unwinds, so it is never called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
