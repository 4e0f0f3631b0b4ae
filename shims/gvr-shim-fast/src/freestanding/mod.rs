//! The freestanding program: entry point, system calls, and the replay of a recorded
//! decision. No allocation: fixed buffers, and anything that does not fit hands over.

use core::ptr::{null, null_mut};

use gvr_shim_fast::{key, parse_u64, split_once, Writer, HEADER};

mod sys;

/// Tools the fast path serves; other names go straight to the full shim.
const TOOLS: [&[u8]; 3] = [b"go", b"gofmt", b"gopls"];
const MAX_ENV: usize = 4096;

static mut EXE: [u8; 4096] = [0; 4096];
static mut CWD: [u8; 4096] = [0; 4096];
static mut PATH: [u8; 4352] = [0; 4352];
static mut RECORD: [u8; 65536] = [0; 65536];
static mut ENVP: [*const u8; MAX_ENV + 64] = [null(); MAX_ENV + 64];

#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
unsafe extern "C" fn _start() -> ! {
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
unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!("mov x29, xzr", "mov x0, sp", "bl {entry}", "brk #0", entry = sym entry);
}

unsafe extern "C" fn entry(sp: *const usize) -> ! {
    let argc = *sp;
    if argc == 0 {
        // Old kernels allow it; argv[0] is then the terminator the tool's argv needs.
        sys::die(b"gvr: the shim was started without argv[0]\n");
    }
    let argv = sp.add(1) as *mut *const u8;
    let envp = argv.add(argc + 1) as *const *const u8;
    let exe = &mut *core::ptr::addr_of_mut!(EXE);
    let room = exe.len() - 1;
    let n = sys::readlink(b"/proc/self/exe\0", &mut exe[..room]);
    if n <= 0 {
        sys::die(b"gvr: cannot find the shim's own path (/proc/self/exe)\n");
    }
    let mut exe_len = n as usize;
    // Replaced while running (a rehash): the name still says which tool it was.
    if exe[..exe_len].ends_with(b" (deleted)") {
        exe_len -= b" (deleted)".len();
    }
    exe[exe_len] = 0;
    let slash = exe[..exe_len].iter().rposition(|&b| b == b'/').unwrap_or(0);
    let (dir, tool) = (&exe[..slash], &exe[slash + 1..exe_len]);

    if !TOOLS.contains(&tool) {
        // A copy under another name (the full shim says the same).
        sys::write_err(&[b"gvr: `", tool, b"` is not a tool gvr shims (it runs go and gofmt from the selected SDK and the pinned gopls)\n"]);
        sys::exit(127);
    }
    replay(dir, tool, argv, envp);
    hand_over(dir, tool, argv, envp)
}

/// Execs the full shim `<dir>/.full/<tool>` with the original arguments and environment.
unsafe fn hand_over(dir: &[u8], tool: &[u8], argv: *mut *const u8, envp: *const *const u8) -> ! {
    let path = &mut *core::ptr::addr_of_mut!(PATH);
    let mut w = Writer::new(path);
    w.put(dir);
    w.put(b"/.full/");
    w.put(tool);
    if w.terminate() {
        sys::execve(path.as_ptr(), argv as *const *const u8, envp);
    }
    sys::die(b"gvr: cannot run the full shim in <shims>/.full/; run `gvr rehash`\n")
}

/// Tries the recorded decision; returns only when it does not apply.
unsafe fn replay(dir: &[u8], tool: &[u8], argv: *mut *const u8, envp: *const *const u8) {
    let cwd = &mut *core::ptr::addr_of_mut!(CWD);
    let n = sys::getcwd(cwd);
    if n <= 0 {
        return;
    }
    let cwd_len = cwd.iter().position(|&b| b == 0).unwrap_or(0);
    let cwd = &cwd[..cwd_len];

    let path = &mut *core::ptr::addr_of_mut!(PATH);
    let mut w = Writer::new(path);
    w.put(dir);
    w.put(b"/.decisions/");
    w.hex(key(tool, cwd));
    if !w.terminate() {
        return;
    }
    let record = &mut *core::ptr::addr_of_mut!(RECORD);
    let room = record.len() - 1;
    let Some(len) = sys::read_file(path.as_ptr(), &mut record[..room]) else {
        return;
    };
    // Lines become C strings in place, so values can be passed to execve as they are.
    for b in record[..len].iter_mut() {
        if *b == b'\n' {
            *b = 0;
        }
    }
    record[len] = 0;
    let record = &record[..len];

    let mut lines = record.split(|&b| b == 0);
    if lines.next() != Some(HEADER) {
        return;
    }
    let mut program: *const u8 = null();
    let mut ops_from = 0usize;
    let mut offset = HEADER.len() + 1;
    // Each of expires, tool and cwd exactly once, and `end` last: a truncated or
    // hand-made record is not replayed.
    let (mut expires, mut tools, mut cwds, mut ended) = (0, 0, 0, false);
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
            b"end" if !program.is_null() && rest.is_empty() => ended = true,
            b"env+" => {
                let (name, _) = split_once(rest, b'=');
                if getenv(envp, name) != Some(rest) {
                    return;
                }
            }
            b"env-" => {
                if getenv(envp, rest).is_some() {
                    return;
                }
            }
            b"file" => {
                let (sig, file) = split_once(rest, b' ');
                if !signature_matches(file, sig) {
                    return;
                }
            }
            b"exec" => {
                program = record.as_ptr().add(at + 5);
                ops_from = offset;
            }
            b"set" | b"unset" if !program.is_null() => {}
            _ => return, // an unknown or misplaced line: not a record this binary can trust
        }
    }
    if program.is_null() || !ended || (expires, tools, cwds) != (1, 1, 1) {
        return;
    }
    let ops = &record[ops_from.min(record.len())..];
    if let Some(env) = apply(envp, record.as_ptr().add(ops_from), ops) {
        sys::standard_process_state();
        let argv0 = *argv;
        *argv = program;
        sys::execve(program, argv as *const *const u8, env);
        // An exec failure is the full shim's to report, with the arguments as given.
        *argv = argv0;
    }
}

/// The environment after the record's `set`/`unset` lines (which follow `exec`).
unsafe fn apply(envp: *const *const u8, base: *const u8, ops: &[u8]) -> Option<*const *const u8> {
    let out = &mut *core::ptr::addr_of_mut!(ENVP);
    let mut n = 0;
    let mut i = 0;
    while !(*envp.add(i)).is_null() {
        let entry = cstr(*envp.add(i));
        let (name, _) = split_once(entry, b'=');
        // std (the full shim) would drop an entry without `=` and keep one value per
        // name; rather than imitate which, let it decide.
        if name.len() == entry.len()
            || (0..i).any(|j| split_once(cstr(*envp.add(j)), b'=').0 == name)
        {
            return None;
        }
        if !touched(ops, name) {
            if n >= MAX_ENV {
                return None;
            }
            out[n] = entry.as_ptr();
            n += 1;
        }
        i += 1;
    }
    let mut offset = 0;
    for line in ops.split(|&b| b == 0) {
        if line.starts_with(b"set ") {
            if n >= out.len() - 1 {
                return None;
            }
            out[n] = base.add(offset + 4);
            n += 1;
        }
        offset += line.len() + 1;
    }
    out[n] = null_mut();
    Some(out.as_ptr())
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

/// The first `NAME=value` entry for `name`, as the C library's getenv finds it.
unsafe fn getenv<'a>(envp: *const *const u8, name: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    while !(*envp.add(i)).is_null() {
        let entry = cstr(*envp.add(i));
        if entry.len() > name.len() && entry[name.len()] == b'=' && &entry[..name.len()] == name {
            return Some(entry);
        }
        i += 1;
    }
    None
}

/// `-` for a missing file, else `<ino>:<size>:<mtime s>.<ns>:<ctime s>.<ns>` — the same
/// text `gvr_core::decision::signature` writes.
unsafe fn signature_matches(file: &[u8], expected: &[u8]) -> bool {
    let path = &mut *core::ptr::addr_of_mut!(PATH);
    let mut w = Writer::new(path);
    w.put(file);
    if !w.terminate() {
        return false;
    }
    let mut buf = [0u8; 96];
    let mut s = Writer::new(&mut buf);
    match sys::stat(path.as_ptr()) {
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

unsafe fn cstr<'a>(p: *const u8) -> &'a [u8] {
    let mut n = 0;
    while *p.add(n) != 0 {
        n += 1;
    }
    core::slice::from_raw_parts(p, n)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe { sys::die(b"gvr: the fast shim panicked; run `gvr rehash`\n") }
}

/// The precompiled `core` refers to the unwinding personality routine; with
/// `panic = "abort"` nothing ever unwinds, so it is never called.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
