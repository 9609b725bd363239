use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Hash};

/// Where a regular file's bytes come from.
#[derive(Debug, Clone)]
pub enum Contents {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

/// A tree to archive that need not exist on disk as one directory.
#[derive(Debug, Clone)]
pub enum Entry {
    File {
        executable: bool,
        contents: Contents,
    },
    Symlink {
        target: Vec<u8>,
    },
    /// Keys are raw name bytes; `BTreeMap` gives the byte order NAR requires.
    Directory(BTreeMap<Vec<u8>, Entry>),
}

impl Entry {
    pub fn dir() -> Self {
        Entry::Directory(BTreeMap::new())
    }

    /// Inserts `entry` at the slash-separated `path`, creating directories on the way.
    /// Panics if a component on the way is not a directory: that is a caller bug.
    pub fn insert(&mut self, path: &[u8], entry: Entry) {
        let mut node = self;
        let mut parts = path
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty())
            .peekable();
        while let Some(part) = parts.next() {
            let Entry::Directory(children) = node else {
                panic!("Entry::insert through a non-directory");
            };
            if parts.peek().is_none() {
                children.insert(part.to_vec(), entry);
                return;
            }
            node = children.entry(part.to_vec()).or_insert_with(Entry::dir);
        }
    }
}

/// Streams NAR framing into any writer.
pub struct NarWriter<W: Write> {
    out: W,
}

impl<W: Write> NarWriter<W> {
    pub fn new(out: W) -> Self {
        NarWriter { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn str(&mut self, s: &[u8]) -> io::Result<()> {
        self.out.write_all(&(s.len() as u64).to_le_bytes())?;
        self.out.write_all(s)?;
        self.pad(s.len() as u64)
    }

    fn pad(&mut self, len: u64) -> io::Result<()> {
        let pad = ((8 - len % 8) % 8) as usize;
        self.out.write_all(&[0u8; 8][..pad])
    }

    pub fn header(&mut self) -> io::Result<()> {
        self.str(b"nix-archive-1")
    }

    pub fn open_node(&mut self) -> io::Result<()> {
        self.str(b"(")?;
        self.str(b"type")
    }

    pub fn close(&mut self) -> io::Result<()> {
        self.str(b")")
    }

    /// Writes a whole regular-file node whose `len` bytes are copied from `data`.
    pub fn file(&mut self, executable: bool, len: u64, data: &mut dyn Read) -> io::Result<()> {
        self.file_start(executable, len)?;
        let copied = io::copy(&mut data.take(len), &mut self.out)?;
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file shrank while being read ({copied} of {len} bytes)"),
            ));
        }
        self.file_end(len)
    }

    /// A regular-file node up to its contents, which the caller writes with `raw`.
    pub(crate) fn file_start(&mut self, executable: bool, len: u64) -> io::Result<()> {
        self.open_node()?;
        self.str(b"regular")?;
        if executable {
            self.str(b"executable")?;
            self.str(b"")?;
        }
        self.str(b"contents")?;
        self.out.write_all(&len.to_le_bytes())
    }

    /// Pads and closes a node opened with `file_start` after its `len` bytes.
    pub(crate) fn file_end(&mut self, len: u64) -> io::Result<()> {
        self.pad(len)?;
        self.close()
    }

    pub fn symlink(&mut self, target: &[u8]) -> io::Result<()> {
        self.open_node()?;
        self.str(b"symlink")?;
        self.str(b"target")?;
        self.str(target)?;
        self.close()
    }

    pub fn open_directory(&mut self) -> io::Result<()> {
        self.open_node()?;
        self.str(b"directory")
    }

    pub fn open_entry(&mut self, name: &[u8]) -> io::Result<()> {
        self.str(b"entry")?;
        self.str(b"(")?;
        self.str(b"name")?;
        self.str(name)?;
        self.str(b"node")
    }

    /// Closes an entry opened with `open_entry` (its node must be complete).
    pub fn close_entry(&mut self) -> io::Result<()> {
        self.close()
    }
}

pub(crate) struct HashSink(Sha256);

impl Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Buffers small writes so SHA-256 sees large blocks.
pub(crate) fn hashing_writer() -> io::BufWriter<HashSink> {
    io::BufWriter::with_capacity(1 << 16, HashSink(Sha256::new()))
}

pub(crate) fn finish(w: io::BufWriter<HashSink>) -> Hash {
    let sink = w
        .into_inner()
        .unwrap_or_else(|_| unreachable!("HashSink never fails"));
    Hash(sink.0.finalize().into())
}

/// NAR SHA-256 of `path`, as `nix-hash --type sha256 PATH`.
///
/// The walk and the file reads run on other threads; one thread hashes.
pub fn nar_hash(path: &Path) -> Result<Hash, Error> {
    crate::parallel::nar_hash(path)
}

/// Serialises `path` (a file, symlink or directory) as a NAR.
pub fn write_nar<W: Write>(path: &Path, w: &mut NarWriter<W>) -> Result<(), Error> {
    w.header().map_err(|e| Error::io(path, e))?;
    dump(path, w)
}

fn dump<W: Write>(path: &Path, w: &mut NarWriter<W>) -> Result<(), Error> {
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    let ft = meta.file_type();
    if ft.is_file() {
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let executable = meta.permissions().mode() & 0o100 != 0;
        w.file(executable, meta.len(), &mut f)
            .map_err(|e| Error::io(path, e))
    } else if ft.is_symlink() {
        let target = fs::read_link(path).map_err(|e| Error::io(path, e))?;
        w.symlink(target.as_os_str().as_bytes())
            .map_err(|e| Error::io(path, e))
    } else if ft.is_dir() {
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
            let entry = entry.map_err(|e| Error::io(path, e))?;
            names.push(entry.file_name());
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        w.open_directory().map_err(|e| Error::io(path, e))?;
        for name in names {
            let child = path.join(&name);
            w.open_entry(name.as_bytes())
                .map_err(|e| Error::io(&child, e))?;
            dump(&child, w)?;
            w.close_entry().map_err(|e| Error::io(&child, e))?;
        }
        w.close().map_err(|e| Error::io(path, e))
    } else {
        Err(Error::UnsupportedType {
            path: path.to_owned(),
            kind: kind_name(&ft),
        })
    }
}

pub(crate) fn kind_name(ft: &fs::FileType) -> &'static str {
    if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "unknown"
    }
}

/// NAR SHA-256 of an in-memory tree.
pub fn nar_hash_entry(entry: &Entry) -> Result<Hash, Error> {
    let mut w = NarWriter::new(hashing_writer());
    w.header().map_err(|e| Error::io("<nar>", e))?;
    dump_entry(entry, &mut w)?;
    Ok(finish(w.into_inner()))
}

fn dump_entry<W: Write>(entry: &Entry, w: &mut NarWriter<W>) -> Result<(), Error> {
    match entry {
        Entry::File {
            executable,
            contents: Contents::Bytes(b),
        } => w
            .file(*executable, b.len() as u64, &mut &b[..])
            .map_err(|e| Error::io("<memory>", e)),
        Entry::File {
            executable,
            contents: Contents::Path(p),
        } => {
            let mut f = File::open(p).map_err(|e| Error::io(p, e))?;
            let len = f.metadata().map_err(|e| Error::io(p, e))?.len();
            w.file(*executable, len, &mut f)
                .map_err(|e| Error::io(p, e))
        }
        Entry::Symlink { target } => w.symlink(target).map_err(|e| Error::io("<symlink>", e)),
        Entry::Directory(children) => {
            let io = |e| Error::io("<directory>", e);
            w.open_directory().map_err(io)?;
            for (name, child) in children {
                w.open_entry(name).map_err(io)?;
                dump_entry(child, w)?;
                w.close_entry().map_err(io)?;
            }
            w.close().map_err(io)
        }
    }
}

/// SHA-256 of a regular file's bytes (`nix-hash --flat`); symlinks are followed.
pub fn flat_hash(path: &Path) -> Result<Hash, Error> {
    crate::parallel::flat_hash(path)
}

/// SHA-256 of everything `reader` yields: the flat hash of a download
/// streamed from elsewhere (fetchurl without unpacking).
pub fn flat_hash_reader(reader: &mut dyn Read) -> io::Result<Hash> {
    let mut w = hashing_writer();
    io::copy(reader, &mut w)?;
    Ok(finish(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_tree_matches_disk_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("sub/empty")).unwrap();
        fs::write(root.join("a"), b"hello").unwrap();
        fs::write(root.join("sub/x"), b"#!/bin/sh\n").unwrap();
        fs::set_permissions(root.join("sub/x"), fs::Permissions::from_mode(0o744)).unwrap();
        std::os::unix::fs::symlink("/nowhere", root.join("link")).unwrap();

        let mut tree = Entry::dir();
        tree.insert(
            b"a",
            Entry::File {
                executable: false,
                contents: Contents::Bytes(b"hello".to_vec()),
            },
        );
        tree.insert(
            b"sub/x",
            Entry::File {
                executable: true,
                contents: Contents::Path(root.join("sub/x")),
            },
        );
        tree.insert(b"sub/empty", Entry::dir());
        tree.insert(
            b"link",
            Entry::Symlink {
                target: b"/nowhere".to_vec(),
            },
        );

        assert_eq!(nar_hash(&root).unwrap(), nar_hash_entry(&tree).unwrap());
    }

    /// The threaded `nar_hash` equals a sequential serialisation, across many
    /// reader segments and whole/streamed file sizes.
    #[test]
    fn parallel_hash_matches_sequential_nar() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for i in 0..300u32 {
            let p = root.join(format!("d{}/f{i}", i % 7));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, vec![i as u8; (i as usize * 97) % 5000]).unwrap();
            if i % 3 == 0 {
                fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        for (i, len) in [128 * 1024, 128 * 1024 + 1, 2 * 1024 * 1024 + 7]
            .into_iter()
            .enumerate()
        {
            fs::write(root.join(format!("big{i}")), vec![0xa5; len]).unwrap();
        }
        fs::create_dir_all(root.join("empty")).unwrap();
        std::os::unix::fs::symlink("d1/f1", root.join("link")).unwrap();

        let mut w = NarWriter::new(hashing_writer());
        write_nar(&root, &mut w).unwrap();
        assert_eq!(nar_hash(&root).unwrap(), finish(w.into_inner()));
        let big = root.join("big2");
        let mut w = NarWriter::new(hashing_writer());
        write_nar(&big, &mut w).unwrap();
        assert_eq!(nar_hash(&big).unwrap(), finish(w.into_inner()));
        let mut h = hashing_writer();
        h.write_all(&fs::read(&big).unwrap()).unwrap();
        assert_eq!(flat_hash(&big).unwrap(), finish(h));
    }
}
