//! Multi-threaded NAR hashing of a path on disk.
//!
//! One thread walks the tree in NAR order (directory entries sorted by raw
//! bytes) through directory file descriptors: `getdents64` into a reused
//! buffer, `d_type` to tell directories and symlinks apart without a `stat`,
//! and every child opened relative to its parent's descriptor, so the kernel
//! never resolves a full path again. The walk is cut into segments: the NAR
//! framing bytes written so far and the regular files (parent descriptor plus
//! name) in order. Reader threads take segments and serialise them, opening,
//! `fstat`ing and reading each file straight into one output buffer per
//! segment, so a small file costs four system calls and no allocation. The
//! calling thread takes the segments' channels in walk order and feeds a
//! single SHA-256 stream, so the digest is exactly the sequential NAR hash
//! while the system calls run on the other threads.
//!
//! Memory stays bounded: at most `SEGMENTS_AHEAD` segments of at most
//! `SEGMENT_FILES` files are in flight, a file is read whole only up to `SMALL` bytes, and a larger file is
//! streamed in `CHUNK`-sized pieces through a channel holding at most
//! `CHUNKS_AHEAD` of them.

use std::ffi::CStr;
use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RawDir};

use crate::nar::{NarWriter, finish, hashing_writer};
use crate::{Error, Hash};

/// Files up to this size are read whole by a worker.
const SMALL: u64 = 128 * 1024;
/// Read size for larger files.
const CHUNK: usize = 2 * 1024 * 1024;
/// Chunks of one large file a worker may read ahead of the hasher.
const CHUNKS_AHEAD: usize = 4;
/// Files per segment.
const SEGMENT_FILES: usize = 64;
/// Segments the walker may run ahead of the hasher.
const SEGMENTS_AHEAD: usize = 24;

/// A directory the walker opened: its descriptor (readers open its files
/// relative to it) and its path (only for error messages).
struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// One step of a segment, in NAR order.
enum Op {
    /// NAR framing the walker wrote: `frames[start..end]`.
    Frame { start: usize, end: usize },
    /// A regular file's node: `names[start..end]` (NUL-terminated) relative to
    /// `dirs[dir]`, or to the working directory when `dir` is `None`.
    File {
        dir: Option<u32>,
        start: usize,
        end: usize,
    },
    /// The walk stopped here.
    Fail(Error),
}

#[derive(Default)]
struct Batch {
    ops: Vec<Op>,
    frames: Vec<u8>,
    names: Vec<u8>,
    dirs: Vec<Arc<Dir>>,
}

struct Segment {
    batch: Batch,
    out: Sender<Msg>,
}

enum Msg {
    /// Bytes to hash, in order.
    Bytes(Vec<u8>),
    Fail(Error),
}

fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 8)
}

/// NAR SHA-256 of `path` with the walk and the reads on other threads.
pub(crate) fn nar_hash(path: &Path) -> Result<Hash, Error> {
    let mut w = NarWriter::new(hashing_writer());
    w.header().map_err(|e| Error::io(path, e))?;
    let mut h = w.into_inner();
    run(path, true, |b| h.write_all(b))?;
    Ok(finish(h))
}

/// SHA-256 of a regular file's bytes, read on another thread.
pub(crate) fn flat_hash(path: &Path) -> Result<Hash, Error> {
    let mut h = hashing_writer();
    run(path, false, |b| h.write_all(b))?;
    Ok(finish(h))
}

/// Walks `root` (a whole NAR when `nar`, else one regular file's bytes) and
/// calls `sink` with the serialised bytes in order on the calling thread.
fn run(root: &Path, nar: bool, mut sink: impl FnMut(&[u8]) -> io::Result<()>) -> Result<(), Error> {
    let (order_tx, order_rx) = bounded::<Receiver<Msg>>(SEGMENTS_AHEAD);
    let (job_tx, job_rx) = bounded::<Segment>(SEGMENTS_AHEAD);
    // Spent buffers go back to the readers.
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(SEGMENTS_AHEAD + CHUNKS_AHEAD * 2);
    // Set by the hasher when it gives up, so the walker and readers stop early.
    let stop = AtomicBool::new(false);
    let stop = &stop;

    std::thread::scope(|scope| {
        let walker_root = root.to_owned();
        std::thread::Builder::new()
            .name("nar-walk".into())
            .stack_size(64 << 20)
            .spawn_scoped(scope, move || {
                let mut walker = Walker {
                    batch: Batch::default(),
                    frame_start: 0,
                    files: 0,
                    order_tx,
                    job_tx,
                    stop,
                    dirbuf: vec![MaybeUninit::uninit(); 32 * 1024],
                };
                let result = if nar {
                    walker.root(&walker_root)
                } else {
                    walker.flat(&walker_root)
                };
                if let Err(e) = result {
                    walker.push(Op::Fail(e));
                }
                let _ = walker.flush();
            })
            .expect("spawning the NAR walker thread");
        for i in 0..workers() {
            let job_rx = job_rx.clone();
            let pool_rx = pool_rx.clone();
            std::thread::Builder::new()
                .name(format!("nar-read-{i}"))
                .spawn_scoped(scope, move || {
                    for seg in job_rx {
                        if stop.load(Ordering::Relaxed) {
                            // Dropping the segment's sender lets the drain
                            // below finish.
                            continue;
                        }
                        read_segment(seg, &pool_rx, nar);
                    }
                })
                .expect("spawning a NAR reader thread");
        }
        drop(job_rx);
        drop(pool_rx);

        let result = hash_in_order(root, &order_rx, &pool_tx, &mut sink);
        if result.is_err() {
            // Stop the walker at its next segment and drop every pending
            // segment's receiver, so no reader stays blocked on a full channel
            // and the scope can join all threads.
            stop.store(true, Ordering::Relaxed);
            for pending in order_rx.iter() {
                drop(pending);
            }
        }
        result
    })
}

fn hash_in_order(
    root: &Path,
    order_rx: &Receiver<Receiver<Msg>>,
    pool_tx: &Sender<Vec<u8>>,
    sink: &mut impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(), Error> {
    for seg in order_rx {
        for msg in seg {
            match msg {
                Msg::Bytes(b) => {
                    sink(&b).map_err(|e| Error::io(root, e))?;
                    let _ = pool_tx.try_send(b);
                }
                Msg::Fail(e) => return Err(e),
            }
        }
    }
    Ok(())
}

struct Walker<'a> {
    batch: Batch,
    /// Where the frame bytes not yet covered by an `Op::Frame` begin.
    frame_start: usize,
    files: usize,
    order_tx: Sender<Receiver<Msg>>,
    job_tx: Sender<Segment>,
    stop: &'a AtomicBool,
    dirbuf: Vec<MaybeUninit<u8>>,
}

/// The hasher went away (it failed); stop walking quietly.
struct Stopped;

enum WalkError {
    Fail(Error),
    Stopped,
}

impl From<Stopped> for WalkError {
    fn from(_: Stopped) -> Self {
        WalkError::Stopped
    }
}

fn fail(path: impl Into<PathBuf>, e: impl Into<io::Error>) -> WalkError {
    WalkError::Fail(Error::io(path, e.into()))
}

impl Walker<'_> {
    fn frame(&mut self) -> NarWriter<&mut Vec<u8>> {
        NarWriter::new(&mut self.batch.frames)
    }

    fn take_frame(&mut self) {
        let end = self.batch.frames.len();
        if end > self.frame_start {
            self.batch.ops.push(Op::Frame {
                start: self.frame_start,
                end,
            });
            self.frame_start = end;
        }
    }

    fn push(&mut self, op: Op) {
        self.take_frame();
        self.batch.ops.push(op);
    }

    /// Sends the current segment to the readers and its channel to the hasher.
    fn flush(&mut self) -> Result<(), Stopped> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Stopped);
        }
        self.take_frame();
        if self.batch.ops.is_empty() {
            return Ok(());
        }
        let (out, rx) = bounded(CHUNKS_AHEAD);
        self.order_tx.send(rx).map_err(|_| Stopped)?;
        let batch = std::mem::take(&mut self.batch);
        self.frame_start = 0;
        self.files = 0;
        self.job_tx
            .send(Segment { batch, out })
            .map_err(|_| Stopped)
    }

    /// Adds a regular file (`name` relative to `dir`, or a path when `dir` is None).
    fn file(&mut self, dir: Option<&Arc<Dir>>, name: &[u8]) -> Result<(), WalkError> {
        self.take_frame();
        let dir = dir.map(|d| {
            let dirs = &mut self.batch.dirs;
            if !dirs.last().is_some_and(|last| Arc::ptr_eq(last, d)) {
                dirs.push(Arc::clone(d));
            }
            (dirs.len() - 1) as u32
        });
        let start = self.batch.names.len();
        self.batch.names.extend_from_slice(name);
        self.batch.names.push(0);
        let end = self.batch.names.len();
        self.batch.ops.push(Op::File { dir, start, end });
        self.files += 1;
        if self.files >= SEGMENT_FILES {
            self.flush()?;
        }
        Ok(())
    }

    fn flat(&mut self, path: &Path) -> Result<(), Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(Error::NotAFile {
                path: path.to_owned(),
            });
        }
        // Ignore a stopped hasher: there is nobody left to report to.
        let _ = self.file(None, path.as_os_str().as_bytes());
        Ok(())
    }

    fn root(&mut self, path: &Path) -> Result<(), Error> {
        let st = rustix::fs::lstat(path).map_err(|e| Error::io(path, e.into()))?;
        let ft = FileType::from_raw_mode(st.st_mode);
        let result = match ft {
            FileType::Directory => self.open_dir(CWD, path.as_os_str().as_bytes(), path.to_owned()),
            FileType::RegularFile => self.file(None, path.as_os_str().as_bytes()),
            _ => self.leaf(CWD, path.as_os_str().as_bytes(), ft, path),
        };
        match result {
            Ok(()) | Err(WalkError::Stopped) => Ok(()),
            Err(WalkError::Fail(e)) => Err(e),
        }
    }

    /// A symlink or an unsupported file type.
    fn leaf(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        ft: FileType,
        path: &Path,
    ) -> Result<(), WalkError> {
        if ft == FileType::Symlink {
            let target =
                rustix::fs::readlinkat(dir, name, Vec::new()).map_err(|e| fail(path, e))?;
            self.frame()
                .symlink(target.as_bytes())
                .map_err(|e| fail(path, e))
        } else {
            Err(WalkError::Fail(Error::UnsupportedType {
                path: path.to_owned(),
                kind: kind_name(ft),
            }))
        }
    }

    fn open_dir(
        &mut self,
        parent: BorrowedFd<'_>,
        name: &[u8],
        path: PathBuf,
    ) -> Result<(), WalkError> {
        let fd = rustix::fs::openat(
            parent,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fail(&path, e))?;
        self.dir(Arc::new(Dir { fd, path }))
    }

    fn dir(&mut self, dir: Arc<Dir>) -> Result<(), WalkError> {
        // Names back to back in one buffer; entries index into it.
        let mut names: Vec<u8> = Vec::new();
        let mut entries: Vec<(usize, usize, FileType)> = Vec::new();
        {
            let mut raw = RawDir::new(&dir.fd, &mut self.dirbuf);
            while let Some(entry) = raw.next() {
                let entry = entry.map_err(|e| fail(&dir.path, e))?;
                let name = entry.file_name().to_bytes();
                if name == b"." || name == b".." {
                    continue;
                }
                let start = names.len();
                names.extend_from_slice(name);
                entries.push((start, names.len(), entry.file_type()));
            }
        }
        entries.sort_unstable_by(|a, b| names[a.0..a.1].cmp(&names[b.0..b.1]));
        self.frame()
            .open_directory()
            .map_err(|e| fail(&dir.path, e))?;
        for (start, end, ft) in entries {
            let name = &names[start..end];
            self.frame()
                .open_entry(name)
                .map_err(|e| fail(&dir.path, e))?;
            let ft = if ft == FileType::Unknown {
                // The filesystem does not fill in d_type.
                let st = rustix::fs::statat(&dir.fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| fail(child(&dir.path, name), e))?;
                FileType::from_raw_mode(st.st_mode)
            } else {
                ft
            };
            match ft {
                FileType::RegularFile => self.file(Some(&dir), name)?,
                FileType::Directory => {
                    self.open_dir(dir.fd.as_fd(), name, child(&dir.path, name))?
                }
                _ => self.leaf(dir.fd.as_fd(), name, ft, &child(&dir.path, name))?,
            }
            self.frame().close_entry().map_err(|e| fail(&dir.path, e))?;
        }
        self.frame().close().map_err(|e| fail(&dir.path, e))
    }
}

fn child(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(std::ffi::OsStr::from_bytes(name))
}

fn kind_name(ft: FileType) -> &'static str {
    match ft {
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
        FileType::BlockDevice => "block device",
        FileType::CharacterDevice => "character device",
        _ => "unknown",
    }
}

/// Serialises one segment into as few buffers as possible and sends them in
/// order: framing and small files accumulate in one buffer, a large file is
/// streamed in chunks between two buffers.
fn read_segment(seg: Segment, pool: &Receiver<Vec<u8>>, nar: bool) {
    let Segment { batch, out } = seg;
    let Batch {
        ops,
        frames,
        names,
        dirs,
    } = batch;
    let mut buf = pool.try_recv().unwrap_or_default();
    buf.clear();
    for op in ops {
        match op {
            Op::Frame { start, end } => buf.extend_from_slice(&frames[start..end]),
            Op::Fail(e) => {
                if !buf.is_empty() {
                    let _ = out.send(Msg::Bytes(buf));
                }
                let _ = out.send(Msg::Fail(e));
                return;
            }
            Op::File { dir, start, end } => {
                let name = CStr::from_bytes_with_nul(&names[start..end])
                    .expect("walker stores NUL-terminated names");
                let dir = dir.map(|i| &*dirs[i as usize]);
                match read_file(dir, name, nar, &mut buf, &out, pool) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let bytes = name.to_bytes();
                        let path = match dir {
                            Some(d) => child(&d.path, bytes),
                            None => PathBuf::from(std::ffi::OsStr::from_bytes(bytes)),
                        };
                        if !buf.is_empty() {
                            let _ = out.send(Msg::Bytes(buf));
                        }
                        let _ = out.send(Msg::Fail(Error::io(path, e)));
                        return;
                    }
                }
            }
        }
    }
    if !buf.is_empty() {
        let _ = out.send(Msg::Bytes(buf));
    }
}

/// Fills `buf` from `fd` until it is full or the file ends; returns the count.
/// Like Nix, reads exactly the size it saw, with no further read for the end.
fn read_full(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(got)
}

/// Appends a file's node (or, unless `nar`, its bytes) to `buf`; a large file
/// is streamed: `buf` is sent first, then the contents in chunks. Returns
/// false when the hasher has gone away.
fn read_file(
    dir: Option<&Dir>,
    name: &CStr,
    nar: bool,
    buf: &mut Vec<u8>,
    out: &Sender<Msg>,
    pool: &Receiver<Vec<u8>>,
) -> io::Result<bool> {
    // O_NONBLOCK: do not hang on a fifo that replaced the file since the walk.
    // Without `nar` (--flat) a symlink is followed, like nix-hash does.
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if nar {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = match dir {
        Some(d) => rustix::fs::openat(&d.fd, name, flags, Mode::empty()),
        None => rustix::fs::openat(CWD, name, flags, Mode::empty()),
    }?;
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(io::Error::other("is no longer a regular file"));
    }
    let executable = st.st_mode & 0o100 != 0;
    let len = st.st_size as u64;
    if nar {
        NarWriter::new(&mut *buf).file_start(executable, len)?;
    }
    if len <= SMALL {
        if len > 0 {
            let base = buf.len();
            buf.resize(base + len as usize, 0);
            let got = read_full(fd.as_fd(), &mut buf[base..])?;
            check_len(got as u64, len)?;
        }
    } else {
        let head = std::mem::take(buf);
        if out.send(Msg::Bytes(head)).is_err() {
            return Ok(false);
        }
        let mut left = len;
        while left > 0 {
            let want = left.min(CHUNK as u64) as usize;
            // Recycled buffers keep their length, so only new ones are zeroed.
            let mut chunk = pool.try_recv().unwrap_or_default();
            chunk.resize(want, 0);
            let got = read_full(fd.as_fd(), &mut chunk)?;
            check_len(len - left + got as u64, len - left + want as u64)
                .map_err(|_| shrank(len - left + got as u64, len))?;
            left -= got as u64;
            if out.send(Msg::Bytes(chunk)).is_err() {
                return Ok(false);
            }
        }
        *buf = pool.try_recv().unwrap_or_default();
        buf.clear();
    }
    if nar {
        NarWriter::new(&mut *buf).file_end(len)?;
    }
    Ok(true)
}

fn check_len(got: u64, want: u64) -> io::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(shrank(got, want))
    }
}

fn shrank(got: u64, want: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("file shrank while being read ({got} of {want} bytes)"),
    )
}
