//! Tiles read through a [`Remote`] for tlog proofs. A partial tile the server no longer
//! has is cut from the full tile, as Go's client does; the reason a read failed is kept,
//! so a network failure is not mistaken for a proof failure.

use std::cell::RefCell;

use tlog_tiles::{Tile, TileReader, HASH_SIZE};

use super::{Remote, RemoteError};

pub(super) enum TileError {
    Remote(RemoteError),
    Proof(String),
}

pub(super) struct RemoteTiles<'a> {
    remote: &'a dyn Remote,
    height: u8,
    failed: RefCell<Option<RemoteError>>,
}

impl<'a> RemoteTiles<'a> {
    pub(super) fn new(remote: &'a dyn Remote, height: u8) -> RemoteTiles<'a> {
        RemoteTiles {
            remote,
            height,
            failed: RefCell::new(None),
        }
    }

    /// Why a tlog computation over these tiles failed.
    pub(super) fn error(&self, e: tlog_tiles::Error) -> TileError {
        match self.failed.borrow_mut().take() {
            Some(remote) => TileError::Remote(remote),
            None => TileError::Proof(e.to_string()),
        }
    }

    fn read(&self, tile: &Tile) -> Result<Vec<u8>, tlog_tiles::Error> {
        let want = tile.width() as usize * HASH_SIZE;
        let got = match self.remote.get(&tile.path()) {
            Ok(data) => data,
            Err(RemoteError::NotFound { url }) if tile.width() != 1 << tile.height() => {
                let full = Tile::new(
                    tile.height(),
                    tile.level(),
                    tile.level_index(),
                    1 << tile.height(),
                    false,
                );
                match self.remote.get(&full.path()) {
                    Ok(data) if data.len() >= want => data[..want].to_vec(),
                    Ok(data) => data,
                    Err(_) => return Err(self.fail(RemoteError::NotFound { url })),
                }
            }
            Err(e) => return Err(self.fail(e)),
        };
        if got.len() != want {
            return Err(tlog_tiles::Error::InvalidTile);
        }
        Ok(got)
    }

    fn fail(&self, e: RemoteError) -> tlog_tiles::Error {
        *self.failed.borrow_mut() = Some(e);
        tlog_tiles::Error::InvalidTile
    }
}

impl TileReader for RemoteTiles<'_> {
    fn height(&self) -> u8 {
        self.height
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles.iter().map(|t| self.read(t)).collect()
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}
