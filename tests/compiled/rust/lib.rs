//! The Rust test worker of golem-fakes: world `golem-fakes:rust-test/rust-test`
//! (wit/rust-test.wit), built by rust_component.py.
//!
//! A Golem Rust worker is built by cargo-component: rustc compiles the crate to a
//! wasm32-wasi (preview1) core module whose imports and exports are the canonical-ABI
//! lowering of the world, wit-bindgen generating that glue, and wasm-tools embeds the
//! world as a `component-type` custom section and wraps the module into a component,
//! adapting its preview1 imports (what Rust's std calls: fd_write for println!,
//! environ_get for std::env, path_open for std::fs) to WASI 0.2 with the
//! wasi_snapshot_preview1 reactor adapter. crates.io cannot be reached from the
//! machines this project runs on, so there is no wit-bindgen here: the glue below is
//! written by hand, the way wit-bindgen 0.2x generates it for this world (the
//! canonical ABI, https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md):
//!
//! * an import is a core function of module `<interface>` named `<function>`; its
//!   parameters are flattened to core values; a result of more than one core value
//!   (a record, a tuple, a string) is written by the host to a return area whose
//!   address the guest passes as the last parameter;
//! * an export is a core function named `<interface>#<function>`; a string or list
//!   argument arrives as (pointer, length) of memory the host allocated with
//!   `cabi_realloc`, owned by the guest from then on; a result of more than one core
//!   value is returned as the address of a static return area, and
//!   `cabi_post_<interface>#<function>` (called by the host after it read the result)
//!   frees what the result points to.
//!
//! Rust 1.63 (Debian 12's rustc): no `#[unsafe(...)]` attributes, no let-else.

use std::alloc::{self, Layout};
use std::mem::MaybeUninit;
use std::sync::Mutex;

// ---------------------------------------------------------------------------------
// Imports of the world

#[link(wasm_import_module = "golem:api/host@1.1.7")]
extern "C" {
    /// `get-oplog-index: func() -> oplog-index` (u64)
    #[link_name = "get-oplog-index"]
    fn golem_get_oplog_index() -> i64;
    /// `generate-idempotency-key: func() -> uuid`: record { high-bits: u64, low-bits:
    /// u64 } written at the return area (16 bytes, align 8)
    #[link_name = "generate-idempotency-key"]
    fn golem_generate_idempotency_key(ret: *mut u8);
}

#[link(wasm_import_module = "wasi:random/random@0.2.3")]
extern "C" {
    /// `get-random-u64: func() -> u64`
    #[link_name = "get-random-u64"]
    fn wasi_get_random_u64() -> i64;
}

#[link(wasm_import_module = "wasi:clocks/wall-clock@0.2.3")]
extern "C" {
    /// `now: func() -> datetime`: record { seconds: u64, nanoseconds: u32 } written at
    /// the return area (16 bytes, align 8: seconds at 0, nanoseconds at 8)
    #[link_name = "now"]
    fn wasi_wall_clock_now(ret: *mut u8);
}

// ---------------------------------------------------------------------------------
// Canonical ABI support: allocation, the return area, strings and lists

/// The allocator the host calls to copy arguments into the guest's memory (and the
/// preview1 adapter, for what it returns to the module): wit-bindgen's `cabi_realloc`.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize,
                                      new_len: usize) -> *mut u8 {
    let ptr = if old_len == 0 {
        if new_len == 0 {
            return align as *mut u8;
        }
        alloc::alloc(Layout::from_size_align_unchecked(new_len, align))
    } else {
        alloc::realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
    };
    if ptr.is_null() {
        std::process::abort();
    }
    ptr
}

/// The static return area of exports whose result is more than one core value
/// (wit-bindgen's `_RET_AREA`): 16 bytes, aligned for a u64.
#[repr(align(8))]
struct RetArea([MaybeUninit<u8>; 16]);

static mut RET_AREA: RetArea = RetArea([MaybeUninit::uninit(); 16]);

/// The return area's address.
unsafe fn ret_area() -> *mut u8 {
    RET_AREA.0.as_mut_ptr() as *mut u8
}

/// A string argument: the host allocated `len` bytes (align 1) with `cabi_realloc`,
/// which the guest owns from now on.
unsafe fn take_string(ptr: *mut u8, len: usize) -> String {
    let bytes = Vec::from_raw_parts(ptr, len, len);
    // the host validated the UTF-8 (a component-model string is Unicode)
    String::from_utf8(bytes).expect("canonical ABI string argument is UTF-8")
}

/// Lowers `s` for a result: (pointer, length) of a heap copy whose capacity is its
/// length, freed by the post-return function with [`free_string`].
fn leak_string(s: String) -> (*mut u8, usize) {
    let bytes = s.into_bytes().into_boxed_slice();
    let len = bytes.len();
    let ptr = Box::into_raw(bytes) as *mut u8;
    (ptr, len)
}

/// Frees a string [`leak_string`] lowered (`len` 0: nothing was allocated).
unsafe fn free_string(ptr: *mut u8, len: usize) {
    if len != 0 {
        alloc::dealloc(ptr, Layout::from_size_align_unchecked(len, 1));
    }
}

/// Writes (pointer, length) of `s` at `at` (the layout of a string in memory).
unsafe fn write_string(at: *mut u8, s: String) {
    let (ptr, len) = leak_string(s);
    *(at as *mut *mut u8) = ptr;
    *(at.add(4) as *mut usize) = len;
}

/// Reads (pointer, length) at `at` and frees that string.
unsafe fn free_string_at(at: *const u8) {
    let ptr = *(at as *const *mut u8);
    let len = *(at.add(4) as *const usize);
    free_string(ptr, len);
}

/// Runs the module's constructors (wasi-libc's: the eager initialisation of the
/// environment and of the preopened directories, through the preview1 adapter) the
/// first time an export is called, as wit-bindgen's `run_ctors_once` does at the start
/// of every export it generates. Referencing `__wasm_call_ctors` also stops wasm-ld
/// from wrapping every export (`cabi_realloc` too) in a call to the constructors, the
/// default for a module without `_initialize`: the host calls `cabi_realloc` to pass
/// the arguments, where calling an import (the adapter's `environ_sizes_get`) traps
/// "cannot leave component instance".
unsafe fn run_ctors_once() {
    extern "C" {
        fn __wasm_call_ctors();
    }
    static mut RUN: bool = false;
    if !RUN {
        __wasm_call_ctors();
        RUN = true;
    }
}

// ---------------------------------------------------------------------------------
// The worker's state: module memory, lost with the instance, rebuilt by replay

static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

// ---------------------------------------------------------------------------------
// Exports of interface golem-fakes:rust-test/api

/// `greet: func(name: string) -> string`
#[export_name = "golem-fakes:rust-test/api#greet"]
pub unsafe extern "C" fn export_greet(name_ptr: *mut u8, name_len: usize) -> *mut u8 {
    run_ctors_once();
    let name = take_string(name_ptr, name_len);
    let text = format!("hello, {}!", name);
    println!("{}", text);
    let ret = ret_area();
    write_string(ret, text);
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#greet"]
pub unsafe extern "C" fn post_greet(ret: *mut u8) {
    free_string_at(ret);
}

/// `oplog-index: func() -> u64`
#[export_name = "golem-fakes:rust-test/api#oplog-index"]
pub unsafe extern "C" fn export_oplog_index() -> i64 {
    run_ctors_once();
    golem_get_oplog_index()
}

/// `idempotency-key: func() -> string`
#[export_name = "golem-fakes:rust-test/api#idempotency-key"]
pub unsafe extern "C" fn export_idempotency_key() -> *mut u8 {
    run_ctors_once();
    let ret = ret_area();
    golem_generate_idempotency_key(ret);
    let high = *(ret as *const u64);
    let low = *(ret.add(8) as *const u64);
    let text = format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                       high & 0xffff, low >> 48, low & 0xffff_ffff_ffff);
    write_string(ret, text);
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#idempotency-key"]
pub unsafe extern "C" fn post_idempotency_key(ret: *mut u8) {
    free_string_at(ret);
}

/// `random: func() -> u64`
#[export_name = "golem-fakes:rust-test/api#random"]
pub unsafe extern "C" fn export_random() -> i64 {
    run_ctors_once();
    wasi_get_random_u64()
}

/// `now: func() -> tuple<u64, u32>`: (i64, i32) is two core values, so the result is
/// returned through the return area (u64 at 0, u32 at 8)
#[export_name = "golem-fakes:rust-test/api#now"]
pub unsafe extern "C" fn export_now() -> *mut u8 {
    run_ctors_once();
    let ret = ret_area();
    wasi_wall_clock_now(ret); // datetime has the same layout as tuple<u64, u32>
    ret
}

/// `env: func(name: string) -> option<string>`: the case (u8) at 0, the string at 4
#[export_name = "golem-fakes:rust-test/api#env"]
pub unsafe extern "C" fn export_env(name_ptr: *mut u8, name_len: usize) -> *mut u8 {
    run_ctors_once();
    let name = take_string(name_ptr, name_len);
    let ret = ret_area();
    match std::env::var(&name) {
        Ok(value) => {
            *ret = 1;
            write_string(ret.add(4), value);
        }
        Err(_) => *ret = 0,
    }
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#env"]
pub unsafe extern "C" fn post_env(ret: *mut u8) {
    if *ret == 1 {
        free_string_at(ret.add(4));
    }
}

/// `read-file: func(path: string) -> result<string, string>`: the case at 0 (0 ok,
/// 1 err), the string of either at 4
#[export_name = "golem-fakes:rust-test/api#read-file"]
pub unsafe extern "C" fn export_read_file(path_ptr: *mut u8, path_len: usize) -> *mut u8 {
    run_ctors_once();
    let path = take_string(path_ptr, path_len);
    let ret = ret_area();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            *ret = 0;
            write_string(ret.add(4), text);
        }
        Err(e) => {
            *ret = 1;
            write_string(ret.add(4), format!("{}: {}", path, e));
        }
    }
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#read-file"]
pub unsafe extern "C" fn post_read_file(ret: *mut u8) {
    free_string_at(ret.add(4));
}

/// `write-file: func(path: string, contents: string) -> result<_, string>`: the case at
/// 0, the error's string at 4
#[export_name = "golem-fakes:rust-test/api#write-file"]
pub unsafe extern "C" fn export_write_file(path_ptr: *mut u8, path_len: usize,
                                           data_ptr: *mut u8, data_len: usize) -> *mut u8 {
    run_ctors_once();
    let path = take_string(path_ptr, path_len);
    let contents = take_string(data_ptr, data_len);
    let ret = ret_area();
    match std::fs::write(&path, contents) {
        Ok(()) => *ret = 0,
        Err(e) => {
            *ret = 1;
            write_string(ret.add(4), format!("{}: {}", path, e));
        }
    }
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#write-file"]
pub unsafe extern "C" fn post_write_file(ret: *mut u8) {
    if *ret == 1 {
        free_string_at(ret.add(4));
    }
}

/// `note: func(text: string) -> u32`
#[export_name = "golem-fakes:rust-test/api#note"]
pub unsafe extern "C" fn export_note(text_ptr: *mut u8, text_len: usize) -> i32 {
    run_ctors_once();
    let text = take_string(text_ptr, text_len);
    let mut notes = NOTES.lock().unwrap();
    println!("note {}: {}", notes.len() + 1, text);
    notes.push(text);
    notes.len() as i32
}

/// `notes: func() -> list<string>`: (pointer, length) of an array of strings (8 bytes
/// each, align 4) at the return area
#[export_name = "golem-fakes:rust-test/api#notes"]
pub unsafe extern "C" fn export_notes() -> *mut u8 {
    run_ctors_once();
    let notes = NOTES.lock().unwrap();
    let len = notes.len();
    let array = if len == 0 {
        4 as *mut u8
    } else {
        let array = alloc::alloc(Layout::from_size_align_unchecked(len * 8, 4));
        if array.is_null() {
            std::process::abort();
        }
        array
    };
    for (i, note) in notes.iter().enumerate() {
        write_string(array.add(i * 8), note.clone());
    }
    let ret = ret_area();
    *(ret as *mut *mut u8) = array;
    *(ret.add(4) as *mut usize) = len;
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#notes"]
pub unsafe extern "C" fn post_notes(ret: *mut u8) {
    let array = *(ret as *const *mut u8);
    let len = *(ret.add(4) as *const usize);
    for i in 0..len {
        free_string_at(array.add(i * 8));
    }
    if len != 0 {
        alloc::dealloc(array, Layout::from_size_align_unchecked(len * 8, 4));
    }
}

/// `stamp: func(label: string) -> string`
#[export_name = "golem-fakes:rust-test/api#stamp"]
pub unsafe extern "C" fn export_stamp(label_ptr: *mut u8, label_len: usize) -> *mut u8 {
    run_ctors_once();
    let label = take_string(label_ptr, label_len);
    let index = golem_get_oplog_index() as u64;
    let random = wasi_get_random_u64() as u64;
    let ret = ret_area();
    wasi_wall_clock_now(ret);
    let seconds = *(ret as *const u64);
    let line = format!("{} #{} {} @{}", label, index, random, seconds);
    println!("{}", line);
    NOTES.lock().unwrap().push(line.clone());
    write_string(ret, line);
    ret
}

#[export_name = "cabi_post_golem-fakes:rust-test/api#stamp"]
pub unsafe extern "C" fn post_stamp(ret: *mut u8) {
    free_string_at(ret);
}

/// `fail: func(message: string)`
#[export_name = "golem-fakes:rust-test/api#fail"]
pub unsafe extern "C" fn export_fail(message_ptr: *mut u8, message_len: usize) {
    run_ctors_once();
    let message = take_string(message_ptr, message_len);
    panic!("{}", message);
}
