//! Transport: Content-Length framed messages over a reader and a writer, with malformed
//! messages answered instead of ending the session.

use super::*;

/// Serve LSP on `input`/`output` until `exit` (or the end of the input); returns the process
/// exit code: 0 after `shutdown`, 1 otherwise. Messages are written and flushed one at a time
/// on the calling thread; the server runs on a second thread and reading on a third.
pub fn run(input: impl Read + Send + 'static, output: &mut dyn Write) -> i32 {
    let (to_server, server_rx) = crossbeam_channel::unbounded::<Message>();
    let (server_tx, from_server) = crossbeam_channel::unbounded::<Message>();
    // The reader thread is not joined: it may stay blocked on a read after `exit`.
    let spawned = std::thread::Builder::new()
        .name("daemonlint-lsp-reader".into())
        .spawn(move || read_messages(BufReader::new(input), &to_server));
    if spawned.is_err() {
        return 1;
    }
    let connection = Connection {
        sender: server_tx,
        receiver: server_rx,
    };
    std::thread::scope(|scope| {
        let server = scope.spawn(move || serve(connection, Options::default()));
        // Ends when the server returns and drops its sender.
        let mut writing = true;
        for message in &from_server {
            if writing && (message.write(&mut &mut *output).is_err() || output.flush().is_err()) {
                // The client is gone: keep draining so the server is never blocked.
                writing = false;
            }
        }
        server.join().unwrap_or(1)
    })
}

/// What one frame of the input held.
pub(super) enum Frame {
    Body(Vec<u8>),
    /// A frame without a usable header; reading goes on with the next one.
    Bad(String),
    End,
}

/// The largest message accepted (a document is at most the 64 MiB file limit, JSON-escaped).
const MAX_MESSAGE: usize = 256 << 20;

pub(super) fn read_frame(input: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut headers = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input.by_ref().take(8192).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if headers == 0 {
                continue;
            }
            break;
        }
        headers += 1;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                length = value.trim().parse().ok();
                if length.is_none() {
                    bad = Some(format!("invalid Content-Length header `{text}`"));
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header line `{text}`")),
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Bad(bad.unwrap_or_else(|| {
            "a message without a Content-Length header".into()
        })));
    };
    if length > MAX_MESSAGE {
        std::io::copy(
            &mut input.by_ref().take(length as u64),
            &mut std::io::sink(),
        )?;
        return Ok(Frame::Bad(format!(
            "a message of {length} bytes, over the {MAX_MESSAGE}-byte limit, was skipped"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

/// Read framed messages and pass them on; undecodable ones become [`MALFORMED`] notifications.
fn read_messages(mut input: impl BufRead, to_server: &crossbeam_channel::Sender<Message>) {
    loop {
        let message = match read_frame(&mut input) {
            Ok(Frame::End) | Err(_) => return,
            Ok(Frame::Bad(error)) => malformed(None, error),
            Ok(Frame::Body(body)) => match serde_json::from_slice::<Message>(&body) {
                Ok(message) => message,
                Err(e) => {
                    let id = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("id").cloned())
                        .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
                    malformed(id, format!("cannot decode a message: {e}"))
                }
            },
        };
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if to_server.send(message).is_err() || exit {
            return;
        }
    }
}

fn malformed(id: Option<RequestId>, error: String) -> Message {
    Message::Notification(Notification::new(
        MALFORMED.into(),
        json!({ "id": id, "error": error }),
    ))
}
