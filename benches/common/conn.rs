//! The benchmarks' HTTP client: one keep-alive connection, requests with
//! the bench's secret key (`crate::KEY`), minimal HTTP/1.1 so its own cost
//! stays small next to the server's on shared cores.

use tokio::net::TcpStream;

/// One keep-alive HTTP/1.1 connection: writes a request, reads a
/// `Content-Length` response.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    // With tokio's `net` (the server feature's) only: readiness, then
    // `try_read` / `try_write`.
    async fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.stream.writable().await.unwrap();
            match self.stream.try_write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    async fn read(&mut self, into: &mut [u8]) -> usize {
        loop {
            self.stream.readable().await.unwrap();
            match self.stream.try_read(into) {
                Ok(n) => return n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> (u16, Vec<u8>) {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n",
            crate::KEY,
            body.len()
        );
        if let Some(key) = key {
            head.push_str("idempotency-key: ");
            head.push_str(key);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.write_all(head.as_bytes()).await;
        self.buf.clear();
        let mut chunk = [0u8; 8192];
        let (header_end, length) = loop {
            let n = self.read(&mut chunk).await;
            assert!(n > 0, "the server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end]).unwrap();
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .expect("a response without content-length");
                break (end + 4, length);
            }
        };
        while self.buf.len() < header_end + length {
            let n = self.read(&mut chunk).await;
            assert!(n > 0, "the server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let status = std::str::from_utf8(&self.buf[9..12])
            .unwrap()
            .parse()
            .unwrap();
        (status, self.buf[header_end..header_end + length].to_vec())
    }
}
