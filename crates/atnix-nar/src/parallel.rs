//! Multi-threaded NAR hashing of a path on disk.
//!
//! One thread walks the tree in NAR order (directory entries sorted by raw bytes)
//! and cuts the walk into segments: runs of NAR framing bytes and file paths.
//! Worker threads take segments in order, open and read the files (small files
//! whole, large files in chunks) and hand the results to the calling thread
//! through one channel per segment. The calling thread takes the segments'
//! channels in walk order and feeds a single SHA-256 stream, so the digest is
//! exactly the sequential NAR hash while the system calls run ahead on other
//! threads.
//!
//! Memory stays bounded: at most `SEGMENTS_AHEAD` segments of at most
//! `SEGMENT_FILES` files are in flight, a file is read whole only up to `SMALL`
//! bytes, and a larger file is streamed in `CHUNK`-sized pieces through a channel
//! holding at most `CHUNKS_AHEAD` of them.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::nar::{NarWriter, finish, hashing_writer, kind_name};
use crate::{Error, Hash};

/// Files up to this size are read whole by a worker.
const SMALL: u64 = 128 * 1024;
/// Read size for larger files.
const CHUNK: usize = 2 * 1024 * 1024;
/// Chunks of one large file a worker may read ahead of the hasher.
const CHUNKS_AHEAD: usize = 4;
/// Files per segment.
const SEGMENT_FILES: usize = 48;
/// Segments the walker may run ahead of the hasher.
const SEGMENTS_AHEAD: usize = 32;

/// One step of the walk, in NAR order.
enum Op {
    /// NAR framing the walker wrote itself (directory and symlink nodes, entry names).
    Frame(Vec<u8>),
    /// A regular file's node, to be read by a worker.
    File(PathBuf),
    /// The walk stopped here.
    Fail(Error),
}

struct Segment {
    ops: Vec<Op>,
    out: Sender<Msg>,
}

/// A worker's answer for part of a segment.
enum Piece {
    Frame(Vec<u8>),
    Small {
        executable: bool,
        data: Vec<u8>,
    },
    /// A large file's node begins; `len` bytes follow as `Msg::Chunk`s.
    Large {
        executable: bool,
        len: u64,
    },
}

enum Msg {
    Pieces(Vec<Piece>),
    Chunk(Vec<u8>),
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
    run(path, true, |piece| match piece {
        Out::Frame(b) => w.raw(b),
        Out::FileStart { executable, len } => w.file_start(executable, len),
        Out::Data(d) => w.raw(d),
        Out::FileEnd { len } => w.file_end(len),
    })?;
    Ok(finish(w.into_inner()))
}

/// SHA-256 of a regular file's bytes, read on another thread.
pub(crate) fn flat_hash(path: &Path) -> Result<Hash, Error> {
    let mut w = hashing_writer();
    run(path, false, |piece| match piece {
        Out::Data(d) => w.write_all(d),
        _ => Ok(()),
    })?;
    Ok(finish(w))
}

/// What the hashing thread sees, in order.
enum Out<'a> {
    Frame(&'a [u8]),
    FileStart { executable: bool, len: u64 },
    Data(&'a [u8]),
    FileEnd { len: u64 },
}

/// Walks `root` (a whole NAR when `nar`, else one regular file) and calls
/// `sink` in NAR order on the calling thread.
fn run(
    root: &Path,
    nar: bool,
    mut sink: impl FnMut(Out<'_>) -> io::Result<()>,
) -> Result<(), Error> {
    let (order_tx, order_rx) = bounded::<Receiver<Msg>>(SEGMENTS_AHEAD);
    let (job_tx, job_rx) = bounded::<Segment>(SEGMENTS_AHEAD);
    let (pool_tx, pool_rx) = bounded::<Vec<u8>>(CHUNKS_AHEAD * 2);
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
                    ops: Vec::new(),
                    files: 0,
                    frame: NarWriter::new(Vec::new()),
                    order_tx,
                    job_tx,
                    stop,
                };
                let result = if nar {
                    walker.node(&walker_root)
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
                            // Dropping the segment's sender unblocks nobody
                            // and lets the drain below finish.
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
    sink: &mut impl FnMut(Out<'_>) -> io::Result<()>,
) -> Result<(), Error> {
    let io = |e| Error::io(root, e);
    // Bytes still expected for the large file being streamed.
    let mut remaining: u64 = 0;
    let mut large_len: u64 = 0;
    for seg in order_rx {
        for msg in seg {
            match msg {
                Msg::Pieces(pieces) => {
                    for piece in pieces {
                        match piece {
                            Piece::Frame(b) => sink(Out::Frame(&b)).map_err(io)?,
                            Piece::Small { executable, data } => {
                                let len = data.len() as u64;
                                sink(Out::FileStart { executable, len }).map_err(io)?;
                                sink(Out::Data(&data)).map_err(io)?;
                                sink(Out::FileEnd { len }).map_err(io)?;
                            }
                            Piece::Large { executable, len } => {
                                sink(Out::FileStart { executable, len }).map_err(io)?;
                                remaining = len;
                                large_len = len;
                                if len == 0 {
                                    sink(Out::FileEnd { len }).map_err(io)?;
                                }
                            }
                        }
                    }
                }
                Msg::Chunk(chunk) => {
                    sink(Out::Data(&chunk)).map_err(io)?;
                    remaining -= chunk.len() as u64;
                    if remaining == 0 {
                        sink(Out::FileEnd { len: large_len }).map_err(io)?;
                    }
                    let _ = pool_tx.try_send(chunk);
                }
                Msg::Fail(e) => return Err(e),
            }
        }
    }
    Ok(())
}

struct Walker<'a> {
    ops: Vec<Op>,
    files: usize,
    frame: NarWriter<Vec<u8>>,
    order_tx: Sender<Receiver<Msg>>,
    job_tx: Sender<Segment>,
    stop: &'a AtomicBool,
}

/// The hasher went away (it failed); stop walking quietly.
struct Stopped;

impl Walker<'_> {
    fn take_frame(&mut self) {
        let bytes = std::mem::take(self.frame.get_mut());
        if !bytes.is_empty() {
            self.ops.push(Op::Frame(bytes));
        }
    }

    fn push(&mut self, op: Op) {
        self.take_frame();
        self.ops.push(op);
    }

    /// Sends the current segment to the workers and its channel to the hasher.
    fn flush(&mut self) -> Result<(), Stopped> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Stopped);
        }
        self.take_frame();
        if self.ops.is_empty() {
            return Ok(());
        }
        let (out, rx) = bounded(CHUNKS_AHEAD);
        self.order_tx.send(rx).map_err(|_| Stopped)?;
        let ops = std::mem::take(&mut self.ops);
        self.files = 0;
        self.job_tx.send(Segment { ops, out }).map_err(|_| Stopped)
    }

    fn file(&mut self, path: PathBuf) -> Result<(), WalkError> {
        self.push(Op::File(path));
        self.files += 1;
        if self.files >= SEGMENT_FILES {
            self.flush()?;
        }
        Ok(())
    }

    fn flat(&mut self, path: &Path) -> Result<(), Error> {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(Error::NotAFile {
                path: path.to_owned(),
            });
        }
        // Ignore a stopped hasher: there is nobody left to report to.
        let _ = self.file(path.to_owned());
        Ok(())
    }

    fn node(&mut self, path: &Path) -> Result<(), Error> {
        let ft = fs::symlink_metadata(path)
            .map_err(|e| Error::io(path, e))?
            .file_type();
        match self.walk(path, ft) {
            Ok(()) | Err(WalkError::Stopped) => Ok(()),
            Err(WalkError::Fail(e)) => Err(e),
        }
    }

    fn walk(&mut self, path: &Path, ft: fs::FileType) -> Result<(), WalkError> {
        let io = |e| WalkError::Fail(Error::io(path, e));
        if ft.is_file() {
            self.file(path.to_owned())
        } else if ft.is_symlink() {
            let target = fs::read_link(path).map_err(io)?;
            self.frame
                .symlink(target.as_os_str().as_bytes())
                .map_err(io)
        } else if ft.is_dir() {
            let mut entries = Vec::new();
            for entry in fs::read_dir(path).map_err(io)? {
                let entry = entry.map_err(io)?;
                // d_type from readdir; std falls back to lstat when the
                // filesystem does not fill it in.
                let ft = entry
                    .file_type()
                    .map_err(|e| WalkError::Fail(Error::io(entry.path(), e)))?;
                entries.push((entry.file_name(), ft));
            }
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            self.frame.open_directory().map_err(io)?;
            for (name, ft) in entries {
                self.frame.open_entry(name.as_bytes()).map_err(io)?;
                self.walk(&path.join(&name), ft)?;
                self.frame.close_entry().map_err(io)?;
            }
            self.frame.close().map_err(io)
        } else {
            Err(WalkError::Fail(Error::UnsupportedType {
                path: path.to_owned(),
                kind: kind_name(&ft),
            }))
        }
    }
}

enum WalkError {
    Fail(Error),
    Stopped,
}

impl From<Stopped> for WalkError {
    fn from(_: Stopped) -> Self {
        WalkError::Stopped
    }
}

/// Reads one segment's files and sends the pieces in order.
fn read_segment(seg: Segment, pool: &Receiver<Vec<u8>>, nar: bool) {
    let Segment { ops, out } = seg;
    let mut pieces = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Op::Frame(b) => pieces.push(Piece::Frame(b)),
            Op::Fail(e) => {
                let _ = out.send(Msg::Pieces(pieces));
                let _ = out.send(Msg::Fail(e));
                return;
            }
            Op::File(path) => {
                let sent = match read_file(&path, !nar, &mut pieces, &out, pool) {
                    Ok(sent) => sent,
                    Err(e) => {
                        let _ = out.send(Msg::Pieces(std::mem::take(&mut pieces)));
                        let _ = out.send(Msg::Fail(Error::io(path, e)));
                        return;
                    }
                };
                if !sent {
                    return;
                }
            }
        }
    }
    if !pieces.is_empty() {
        let _ = out.send(Msg::Pieces(pieces));
    }
}

/// Opens `path` without blocking on a fifo that replaced a file since the walk
/// saw it, and (unless `follow`) without following a symlink.
fn open_regular(path: &Path, follow: bool) -> io::Result<(File, bool, u64)> {
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | libc::O_NONBLOCK)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("is no longer a regular file"));
    }
    Ok((f, meta.mode() & 0o100 != 0, meta.len()))
}

/// Appends a small file to `pieces`, or sends the pieces so far and streams a
/// large one. Returns false when the hasher has gone away.
fn read_file(
    path: &Path,
    follow: bool,
    pieces: &mut Vec<Piece>,
    out: &Sender<Msg>,
    pool: &Receiver<Vec<u8>>,
) -> io::Result<bool> {
    let (f, executable, len) = open_regular(path, follow)?;
    if len <= SMALL {
        let mut data = Vec::with_capacity(len as usize);
        // `take` stops at `len` without a further read for end of file; Nix
        // too reads exactly the size it saw.
        (&f).take(len).read_to_end(&mut data)?;
        check_len(data.len() as u64, len)?;
        pieces.push(Piece::Small { executable, data });
        return Ok(true);
    }
    pieces.push(Piece::Large { executable, len });
    if out.send(Msg::Pieces(std::mem::take(pieces))).is_err() {
        return Ok(false);
    }
    let mut left = len;
    let mut f = f;
    while left > 0 {
        let want = left.min(CHUNK as u64) as usize;
        // Recycled buffers keep their length, so only new ones are zeroed.
        let mut buf = pool.try_recv().unwrap_or_default();
        buf.resize(want, 0);
        let mut got = 0;
        while got < want {
            match f.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        if got == 0 {
            check_len(len - left, len)?;
        }
        left -= got as u64;
        if out.send(Msg::Chunk(buf)).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn check_len(got: u64, want: u64) -> io::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("file shrank while being read ({got} of {want} bytes)"),
        ))
    }
}
