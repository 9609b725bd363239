//! Archives (tar, compressed tar, zip) unpacked into in-memory NAR trees, with
//! the file types and modes `tar xf` / `unzip` would leave on disk.

use std::collections::btree_map::Entry as Slot;
use std::io::{self, BufReader, Read, Seek};

use atnix_nar::{Contents, Entry};

use crate::Error;

const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;

/// Splits an archive member name into components, dropping `.` and empty
/// ones; `..` is refused as `tar` would refuse to follow it out of the tree.
fn components<'a>(what: &str, path: &'a [u8]) -> Result<Vec<&'a [u8]>, Error> {
    let parts: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .collect();
    if parts.iter().any(|p| *p == b"..") {
        return Err(Error::archive(
            what,
            format!("member {:?} leaves the tree", String::from_utf8_lossy(path)),
        ));
    }
    Ok(parts)
}

/// The directory at `parts`, created on the way like `tar` does.
fn dir_at<'a>(
    root: &'a mut Entry,
    parts: &[&[u8]],
    what: &str,
) -> Result<&'a mut std::collections::BTreeMap<Vec<u8>, Entry>, Error> {
    let mut node = root;
    for part in parts {
        let Entry::Directory(children) = node else {
            unreachable!("only directories are descended into");
        };
        node = children.entry(part.to_vec()).or_insert_with(Entry::dir);
        if !matches!(node, Entry::Directory(_)) {
            return Err(Error::archive(
                what,
                format!(
                    "{:?} is both a file and a directory",
                    String::from_utf8_lossy(part)
                ),
            ));
        }
    }
    match node {
        Entry::Directory(children) => Ok(children),
        _ => unreachable!(),
    }
}

/// Puts `entry` at `parts`; a later member replaces an earlier file, and a
/// directory member keeps what is already inside it.
fn put(root: &mut Entry, parts: &[&[u8]], entry: Entry, what: &str) -> Result<(), Error> {
    let Some((last, parents)) = parts.split_last() else {
        // The archive root itself ("./").
        return match entry {
            Entry::Directory(_) => Ok(()),
            _ => Err(Error::archive(what, "a member replaces the archive root")),
        };
    };
    let dir = dir_at(root, parents, what)?;
    match (dir.entry(last.to_vec()), entry) {
        (Slot::Occupied(o), Entry::Directory(_)) if matches!(o.get(), Entry::Directory(_)) => {}
        (Slot::Occupied(mut o), e) => {
            o.insert(e);
        }
        (Slot::Vacant(v), e) => {
            v.insert(e);
        }
    }
    Ok(())
}

fn get<'a>(root: &'a Entry, parts: &[&[u8]]) -> Option<&'a Entry> {
    let mut node = root;
    for part in parts {
        match node {
            Entry::Directory(children) => node = children.get(*part)?,
            _ => return None,
        }
    }
    Some(node)
}

/// The tree a `tar xf` of the (uncompressed) stream would produce.
pub fn tar_tree(reader: impl Read, what: &str) -> Result<Entry, Error> {
    use tar::EntryType;
    let err = |e: io::Error| Error::archive(what, e);
    let mut archive = tar::Archive::new(reader);
    let mut root = Entry::dir();
    for member in archive.entries().map_err(err)? {
        let mut member = member.map_err(err)?;
        let kind = member.header().entry_type();
        let raw_path = member.path_bytes().into_owned();
        let parts = components(what, &raw_path)?;
        let node = match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mode = member.header().mode().map_err(err)?;
                let mut data = Vec::with_capacity(member.size() as usize);
                member.read_to_end(&mut data).map_err(err)?;
                Entry::File {
                    executable: mode & 0o100 != 0,
                    contents: Contents::Bytes(data),
                }
            }
            EntryType::Directory => Entry::dir(),
            EntryType::Symlink => {
                let target = member
                    .link_name_bytes()
                    .ok_or_else(|| Error::archive(what, "symlink without a target"))?;
                Entry::Symlink {
                    target: target.into_owned(),
                }
            }
            EntryType::Link => {
                let target = member
                    .link_name_bytes()
                    .ok_or_else(|| Error::archive(what, "hard link without a target"))?
                    .into_owned();
                let target_parts = components(what, &target)?;
                get(&root, &target_parts).cloned().ok_or_else(|| {
                    Error::archive(
                        what,
                        format!(
                            "hard link to missing {:?}",
                            String::from_utf8_lossy(&target)
                        ),
                    )
                })?
            }
            EntryType::XGlobalHeader | EntryType::XHeader => continue,
            EntryType::GNULongName | EntryType::GNULongLink => continue,
            other => {
                return Err(Error::archive(
                    what,
                    format!(
                        "{:?}: unsupported member type {other:?}",
                        String::from_utf8_lossy(&raw_path)
                    ),
                ));
            }
        };
        put(&mut root, &parts, node, what)?;
    }
    Ok(root)
}

/// The tree a `unzip` of the archive would produce.
fn zip_tree(reader: impl Read + Seek, what: &str) -> Result<Entry, Error> {
    let err = |e: zip::result::ZipError| Error::archive(what, e);
    let mut archive = zip::ZipArchive::new(reader).map_err(err)?;
    let mut root = Entry::dir();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(err)?;
        let name = file.name_raw().to_vec();
        let parts = components(what, &name)?;
        let mode = file.unix_mode();
        let node = if file.is_dir() || mode.is_some_and(|m| m & S_IFMT == S_IFDIR) {
            Entry::dir()
        } else {
            let mut data = Vec::with_capacity(file.size() as usize);
            file.read_to_end(&mut data)
                .map_err(|e| Error::archive(what, e))?;
            match mode {
                Some(m) if m & S_IFMT == S_IFLNK => Entry::Symlink { target: data },
                // Without Unix modes unzip creates plain 0644-ish files.
                m => Entry::File {
                    executable: m.is_some_and(|m| m & 0o100 != 0),
                    contents: Contents::Bytes(data),
                },
            }
        };
        put(&mut root, &parts, node, what)?;
    }
    Ok(root)
}

/// Unpacks a tar (plain, gzip, xz or bzip2) or zip archive, recognised by its
/// first bytes, and strips the single top-level directory like fetchzip
/// (`stripRoot = true`): the archive must hold exactly one top-level entry; a
/// directory becomes the root, a lone file stays inside the root directory.
pub fn unpack_tree(mut file: std::fs::File, what: &str) -> Result<Entry, Error> {
    let io = |e: io::Error| Error::archive(what, e);
    file.rewind().map_err(io)?;
    let mut magic = [0u8; 6];
    let n = {
        let mut n = 0;
        while n < magic.len() {
            let got = file.read(&mut magic[n..]).map_err(io)?;
            if got == 0 {
                break;
            }
            n += got;
        }
        n
    };
    file.rewind().map_err(io)?;
    let magic = &magic[..n];
    let reader = BufReader::with_capacity(1 << 20, file);
    let tree = if magic.starts_with(&[0x1f, 0x8b]) {
        tar_tree(flate2::read::MultiGzDecoder::new(reader), what)?
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        tar_tree(liblzma::read::XzDecoder::new_multi_decoder(reader), what)?
    } else if magic.starts_with(b"BZh") {
        tar_tree(bzip2::read::MultiBzDecoder::new(reader), what)?
    } else if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
        zip_tree(reader, what)?
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(Error::archive(what, "zstd archives are not supported"));
    } else {
        tar_tree(reader, what)?
    };
    strip_root(tree, what)
}

fn strip_root(tree: Entry, what: &str) -> Result<Entry, Error> {
    let Entry::Directory(mut children) = tree else {
        unreachable!("archive roots are directories");
    };
    if children.len() != 1 {
        return Err(Error::archive(
            what,
            format!(
                "fetchzip needs exactly one top-level entry, the archive has {}",
                children.len()
            ),
        ));
    }
    let (name, only) = children.pop_first().expect("one child");
    Ok(match only {
        Entry::Directory(_) => only,
        other => {
            let mut root = Entry::dir();
            root.insert(&name, other);
            root
        }
    })
}
