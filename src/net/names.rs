//! The DNS server of a user-defined network, so that containers on it find each other by
//! name. Containers ask the network's gateway address, port 53, where the network's holder
//! process serves a [`NameServer`]: names of the network's containers (their names,
//! aliases and short ids, which the holder's lookup knows) are answered here, everything
//! else goes unchanged to the host's resolver and its reply back to the container.
//!
//! Like the default network's stack, the server runs in its owner's poll loop: it owns an
//! epoll descriptor covering its sockets ([`NameServer::fd`]), [`NameServer::process`]
//! serves what is ready, and [`NameServer::timeout`] says when pending forwards expire.

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// Answers are not to be cached: the names follow containers that come and go.
const TTL: u32 = 0;
/// Forwarded queries waiting for upstream at most; a new one drops the oldest.
const MAX_PENDING: usize = 256;
/// A forwarded query unanswered this long is forgotten; its client asks again by itself.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);
/// Datagrams read from each socket per call, so that a flood cannot keep the owner's loop
/// from its other duties.
const READ_BATCH: usize = 64;
/// Addresses one answer carries at most: with the longest possible name, 15 records still
/// fit the 512 bytes every resolver takes over UDP.
const MAX_ANSWERS: usize = 15;
/// The largest UDP datagram, queries with EDNS and upstream's replies included.
const MAX_DATAGRAM: usize = 65535;

const HEADER_LEN: usize = 12;
/// The longest name on the wire, length bytes and the final empty label included.
const MAX_NAME_LEN: usize = 255;
/// Longer "lengths" are compression pointers or reserved label types.
const MAX_LABEL_LEN: usize = 63;
/// Where the question's name starts, as an answer's compression pointer says.
const QUESTION_NAME_POINTER: [u8; 2] = [0xc0, HEADER_LEN as u8];

const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const RCODE_SERVFAIL: u8 = 2;

/// The question of a DNS query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Lowercased, labels joined by dots, no trailing dot (the root is ""). Bytes that are
    /// not printable ASCII, and dots or backslashes inside a label, are written `\DDD`, so
    /// that no odd label reads as a container's name.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// A query sent upstream, waiting for its reply.
struct Pending {
    /// The transaction id upstream sees.
    id: u16,
    client: SocketAddr,
    client_id: [u8; 2],
    question: Question,
    sent: Instant,
}

pub struct NameServer {
    listener: UdpSocket,
    /// Connected to the upstream resolver, so the kernel takes replies from it alone.
    upstream: Option<UdpSocket>,
    epoll: Epoll,
    /// Oldest first.
    pending: VecDeque<Pending>,
    buf: Vec<u8>,
}

impl NameServer {
    /// `listener`: a bound UDP socket (made in the network's namespace by someone else);
    /// `upstream`: where other names go (None: they are answered SERVFAIL).
    pub fn new(listener: OwnedFd, upstream: Option<SocketAddr>) -> std::io::Result<NameServer> {
        let listener = UdpSocket::from(listener);
        listener.set_nonblocking(true)?;
        let upstream = upstream.map(forwarding_socket).transpose()?;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        // Every call reads all sockets, so which one woke the loop does not matter.
        epoll.add(&listener, EpollEvent::new(EpollFlags::EPOLLIN, 0))?;
        if let Some(socket) = &upstream {
            epoll.add(socket, EpollEvent::new(EpollFlags::EPOLLIN, 0))?;
        }
        Ok(NameServer {
            listener,
            upstream,
            epoll,
            pending: VecDeque::new(),
            buf: vec![0; MAX_DATAGRAM],
        })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }

    /// How long the owner may sleep before calling [`NameServer::process`] again: until
    /// the oldest pending forward expires (None: nothing pending).
    pub fn timeout(&self) -> Option<Duration> {
        self.pending
            .front()
            .map(|oldest| (oldest.sent + FORWARD_TIMEOUT).saturating_duration_since(Instant::now()))
    }

    /// Serves what is ready: queries from containers, replies from upstream, expired
    /// forwards. `lookup(name, client)` returns the addresses of a local name as the asking
    /// client may see them (empty: not local).
    pub fn process(&mut self, lookup: &mut dyn FnMut(&str, IpAddr) -> Vec<Ipv4Addr>) {
        let mut buf = std::mem::take(&mut self.buf);
        for _ in 0..READ_BATCH {
            let Ok((len, client)) = self.listener.recv_from(&mut buf) else {
                break;
            };
            self.serve(&buf[..len], client, lookup);
        }
        for _ in 0..READ_BATCH {
            let Some(Ok(len)) = self.upstream.as_ref().map(|socket| socket.recv(&mut buf)) else {
                break;
            };
            self.relay(&mut buf[..len]);
        }
        self.buf = buf;
        self.expire(Instant::now());
    }

    /// One query from a container: answered here when its name is local, else forwarded.
    fn serve(
        &mut self,
        query: &[u8],
        client: SocketAddr,
        lookup: &mut dyn FnMut(&str, IpAddr) -> Vec<Ipv4Addr>,
    ) {
        let Some(question) = question(query) else {
            return;
        };
        match local_answer(query, &question, &mut |name| lookup(name, client.ip())) {
            Some(reply) => self.reply(&reply, client),
            None => self.forward(query, question, client),
        }
    }

    fn forward(&mut self, query: &[u8], question: Question, client: SocketAddr) {
        let Some(socket) = &self.upstream else {
            return self.fail(query, client);
        };
        let id = self.fresh_id();
        let mut out = query.to_vec();
        out[..2].copy_from_slice(&id.to_be_bytes());
        if socket.send(&out).is_err() {
            return self.fail(query, client);
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending {
            id,
            client,
            client_id: [query[0], query[1]],
            question,
            sent: Instant::now(),
        });
    }

    /// One reply from upstream, passed to the client that asked, with its transaction id.
    fn relay(&mut self, reply: &mut [u8]) {
        if reply.len() < HEADER_LEN || !is_response(reply) {
            return;
        }
        let id = u16::from_be_bytes([reply[0], reply[1]]);
        let Some(index) = self.pending.iter().position(|p| p.id == id) else {
            return;
        };
        // A reply to another question is a late or forged one, not this query's answer.
        if parse_question(reply).is_some_and(|(q, _)| q != self.pending[index].question) {
            return;
        }
        let Some(pending) = self.pending.remove(index) else {
            return;
        };
        reply[..2].copy_from_slice(&pending.client_id);
        self.reply(reply, pending.client);
    }

    /// Tells the client at once that its name cannot be resolved.
    fn fail(&self, query: &[u8], client: SocketAddr) {
        if let Some(failure) = reply_to(query, false, RCODE_SERVFAIL) {
            self.reply(&failure, client);
        }
    }

    fn reply(&self, packet: &[u8], client: SocketAddr) {
        // Lost like any datagram when the client is gone.
        let _ = self.listener.send_to(packet, client);
    }

    fn expire(&mut self, now: Instant) {
        while self
            .pending
            .front()
            .is_some_and(|oldest| now.duration_since(oldest.sent) >= FORWARD_TIMEOUT)
        {
            self.pending.pop_front();
        }
    }

    /// A random transaction id for upstream that no pending query has: replies cannot be
    /// guessed by others, nor mixed up between clients that chose the same id.
    fn fresh_id(&self) -> u16 {
        loop {
            let id = u16::from_str_radix(&crate::store::random_hex(2), 16).unwrap_or_default();
            if !self.pending.iter().any(|p| p.id == id) {
                return id;
            }
        }
    }
}

/// A host socket that talks to the upstream resolver alone.
fn forwarding_socket(upstream: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if upstream.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(upstream)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// The reply to a query for a local name (None: the name is not local). Types other than
/// A get an empty answer: the name exists but has no such records, and a resolver asking
/// for AAAA beside A must not wait for upstream's "no such name".
fn local_answer(
    query: &[u8],
    question: &Question,
    lookup: &mut dyn FnMut(&str) -> Vec<Ipv4Addr>,
) -> Option<Vec<u8>> {
    if question.qclass != CLASS_IN {
        return None;
    }
    let addresses = lookup(&question.name);
    if addresses.is_empty() {
        return None;
    }
    let records = if question.qtype == TYPE_A {
        &addresses[..]
    } else {
        &[]
    };
    answer(query, records, TTL)
}

/// The question of a query: None for anything but a well-formed standard query with one
/// question (responses included, so that two servers cannot keep answering each other).
pub fn question(query: &[u8]) -> Option<Question> {
    if !is_standard_query(query) {
        return None;
    }
    parse_question(query).map(|(question, _)| question)
}

/// The authoritative answer to a query for a local name: its question echoed and an A
/// record with `ttl` for each address (at most [`MAX_ANSWERS`]); no addresses make an
/// empty answer. None when the query is not one [`question`] accepts.
pub fn answer(query: &[u8], addresses: &[Ipv4Addr], ttl: u32) -> Option<Vec<u8>> {
    let addresses = &addresses[..addresses.len().min(MAX_ANSWERS)];
    let mut reply = reply_to(query, true, 0)?;
    reply[6..8].copy_from_slice(&(addresses.len() as u16).to_be_bytes());
    for address in addresses {
        reply.extend_from_slice(&QUESTION_NAME_POINTER);
        reply.extend_from_slice(&TYPE_A.to_be_bytes());
        reply.extend_from_slice(&CLASS_IN.to_be_bytes());
        reply.extend_from_slice(&ttl.to_be_bytes());
        reply.extend_from_slice(&4u16.to_be_bytes());
        reply.extend_from_slice(&address.octets());
    }
    Some(reply)
}

/// The header and question of a reply to `query`, without records: the query's id and
/// recursion-desired flag kept, recursion available as it is through upstream.
fn reply_to(query: &[u8], authoritative: bool, rcode: u8) -> Option<Vec<u8>> {
    if !is_standard_query(query) {
        return None;
    }
    let (_, end) = parse_question(query)?;
    let mut reply = query[..end].to_vec();
    let recursion_desired = query[2] & 0x01;
    reply[2] = 0x80 | recursion_desired | if authoritative { 0x04 } else { 0 };
    reply[3] = 0x80 | (rcode & 0x0f);
    // One question (kept), no records yet.
    reply[6..HEADER_LEN].fill(0);
    Some(reply)
}

fn is_response(packet: &[u8]) -> bool {
    packet.get(2).is_some_and(|flags| flags & 0x80 != 0)
}

/// Not a response, and opcode QUERY: what resolvers send (no notify, no update).
fn is_standard_query(packet: &[u8]) -> bool {
    packet.get(2).is_some_and(|flags| flags & 0xf8 == 0)
}

/// The one question of a packet, and where the question section ends.
fn parse_question(packet: &[u8]) -> Option<(Question, usize)> {
    let header = packet.get(..HEADER_LEN)?;
    if u16::from_be_bytes([header[4], header[5]]) != 1 {
        return None;
    }
    let (name, at) = read_name(packet, HEADER_LEN)?;
    let fixed = packet.get(at..at + 4)?;
    let question = Question {
        name,
        qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
        qclass: u16::from_be_bytes([fixed[2], fixed[3]]),
    };
    Some((question, at + 4))
}

/// The uncompressed name at `start`, and where it ends. Compression pointers are refused:
/// a question comes first and has nothing to point back to.
fn read_name(packet: &[u8], start: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut at = start;
    loop {
        let len = usize::from(*packet.get(at)?);
        if len == 0 {
            return Some((name, at + 1));
        }
        // This label and the final empty one must fit the longest name.
        if len > MAX_LABEL_LEN || at + len + 2 - start > MAX_NAME_LEN {
            return None;
        }
        let label = packet.get(at + 1..at + 1 + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        push_label(&mut name, label);
        at += 1 + len;
    }
}

fn push_label(name: &mut String, label: &[u8]) {
    for &byte in label {
        let byte = byte.to_ascii_lowercase();
        if byte.is_ascii_graphic() && byte != b'.' && byte != b'\\' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("\\{byte:03}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

    const TYPE_AAAA: u16 = 28;
    const TYPE_MX: u16 = 15;
    const CLASS_CH: u16 = 3;

    /// A query as a stub resolver sends it: recursion desired, one question.
    fn query(id: u16, name: &str, qtype: u16, qclass: u16) -> Vec<u8> {
        let mut packet = Vec::new();
        packet.extend_from_slice(&id.to_be_bytes());
        packet.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.').filter(|l| !l.is_empty()) {
            packet.push(label.len() as u8);
            packet.extend_from_slice(label.as_bytes());
        }
        packet.push(0);
        packet.extend_from_slice(&qtype.to_be_bytes());
        packet.extend_from_slice(&qclass.to_be_bytes());
        packet
    }

    /// A reply as read by a small parser of the test's own, which follows compression
    /// pointers as any resolver does.
    #[derive(Debug)]
    struct Reply {
        id: u16,
        flags: u16,
        questions: Vec<(String, u16, u16)>,
        /// Name, type, class, ttl, data.
        answers: Vec<(String, u16, u16, u32, Vec<u8>)>,
    }

    impl Reply {
        fn rcode(&self) -> u16 {
            self.flags & 0x0f
        }

        fn addresses(&self) -> Vec<Ipv4Addr> {
            self.answers
                .iter()
                .filter(|a| a.1 == TYPE_A && a.4.len() == 4)
                .map(|a| Ipv4Addr::new(a.4[0], a.4[1], a.4[2], a.4[3]))
                .collect()
        }
    }

    fn be16(packet: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([packet[at], packet[at + 1]])
    }

    fn test_name(packet: &[u8], mut at: usize) -> (String, usize) {
        let mut labels = Vec::new();
        let mut end = None;
        for _ in 0..256 {
            let len = usize::from(packet[at]);
            if len & 0xc0 == 0xc0 {
                end.get_or_insert(at + 2);
                at = (len & 0x3f) << 8 | usize::from(packet[at + 1]);
            } else if len == 0 {
                return (labels.join("."), end.unwrap_or(at + 1));
            } else {
                labels.push(String::from_utf8(packet[at + 1..at + 1 + len].to_vec()).unwrap());
                at += 1 + len;
            }
        }
        panic!("name loops");
    }

    fn parse_reply(packet: &[u8]) -> Reply {
        let (qdcount, ancount) = (be16(packet, 4), be16(packet, 6));
        let mut at = HEADER_LEN;
        let mut questions = Vec::new();
        for _ in 0..qdcount {
            let (name, end) = test_name(packet, at);
            questions.push((name, be16(packet, end), be16(packet, end + 2)));
            at = end + 4;
        }
        let mut answers = Vec::new();
        for _ in 0..ancount {
            let (name, end) = test_name(packet, at);
            let ttl = u32::from_be_bytes(packet[end + 4..end + 8].try_into().unwrap());
            let len = usize::from(be16(packet, end + 8));
            let data = packet[end + 10..end + 10 + len].to_vec();
            answers.push((name, be16(packet, end), be16(packet, end + 2), ttl, data));
            at = end + 10 + len;
        }
        assert_eq!(at, packet.len(), "trailing bytes");
        Reply {
            id: be16(packet, 0),
            flags: be16(packet, 2),
            questions,
            answers,
        }
    }

    #[test]
    fn reads_a_question() {
        // id 0x1234, RD, one question: Web.Db. A IN
        let packet =
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03Web\x02Db\x00\x00\x01\x00\x01";
        assert_eq!(
            question(packet),
            Some(Question {
                name: "web.db".into(),
                qtype: TYPE_A,
                qclass: CLASS_IN
            })
        );
        assert_eq!(question(&query(1, "", TYPE_A, CLASS_IN)).unwrap().name, "");
        assert_eq!(
            question(&query(1, "0123456789AB.", TYPE_AAAA, CLASS_IN)),
            Some(Question {
                name: "0123456789ab".into(),
                qtype: TYPE_AAAA,
                qclass: CLASS_IN
            })
        );
    }

    #[test]
    fn odd_label_bytes_are_escaped() {
        let mut packet = query(1, "", TYPE_A, CLASS_IN);
        packet.splice(12..13, *b"\x05a.b\\\x01\x00");
        assert_eq!(question(&packet).unwrap().name, "a\\046b\\092\\001");
    }

    #[test]
    fn refuses_malformed_queries() {
        let good = query(7, "web.example", TYPE_A, CLASS_IN);
        for len in 0..good.len() {
            assert_eq!(question(&good[..len]), None, "truncated to {len}");
        }
        let mut response = good.clone();
        response[2] |= 0x80;
        assert_eq!(question(&response), None);
        let mut two_questions = good.clone();
        two_questions[5] = 2;
        assert_eq!(question(&two_questions), None);
        let mut notify = good.clone();
        notify[2] = 4 << 3;
        assert_eq!(question(&notify), None);
        let mut no_question = good.clone();
        no_question[5] = 0;
        assert_eq!(question(&no_question), None);

        // A pointer to itself, and a pointer to a label that points back.
        let mut self_loop = good[..HEADER_LEN].to_vec();
        self_loop.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        assert_eq!(question(&self_loop), None);
        let mut mutual = good[..HEADER_LEN].to_vec();
        mutual.extend_from_slice(&[0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]);
        assert_eq!(question(&mutual), None);
        let mut reserved = good[..HEADER_LEN].to_vec();
        reserved.extend_from_slice(&[0x41, b'a', 0, 0, 1, 0, 1]);
        assert_eq!(question(&reserved), None);

        // 200 one-letter labels: 400 bytes, more than any name may have.
        let many = vec!["a"; 200].join(".");
        assert_eq!(question(&query(1, &many, TYPE_A, CLASS_IN)), None);
        let longest = vec!["a"; 127].join(".");
        assert!(question(&query(1, &longest, TYPE_A, CLASS_IN)).is_some());
        assert_eq!(answer(&self_loop, &[Ipv4Addr::LOCALHOST], 0), None);
    }

    #[test]
    fn answers_local_addresses() {
        let asked = query(0xbeef, "Web", TYPE_A, CLASS_IN);
        let addresses = [Ipv4Addr::new(10, 89, 0, 2), Ipv4Addr::new(10, 89, 0, 3)];
        let packet = answer(&asked, &addresses, 0).unwrap();
        assert_eq!(&packet[12..asked.len()], &asked[12..], "question echoed");
        assert_eq!(&packet[asked.len()..asked.len() + 2], &[0xc0, 0x0c]);
        let reply = parse_reply(&packet);
        assert_eq!(reply.id, 0xbeef);
        // QR, AA, RD, RA, NOERROR.
        assert_eq!(reply.flags, 0x8580);
        assert_eq!(reply.questions, [("Web".to_string(), TYPE_A, CLASS_IN)]);
        assert_eq!(reply.addresses(), addresses);
        for (name, _, class, ttl, _) in &reply.answers {
            assert_eq!((name.as_str(), *class, *ttl), ("Web", CLASS_IN, 0));
        }

        // A query with EDNS: the answer leaves its OPT record out, as servers without
        // EDNS do.
        let mut edns = asked.clone();
        edns[11] = 1;
        edns.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
        let reply = parse_reply(&answer(&edns, &addresses, 0).unwrap());
        assert_eq!(reply.addresses(), addresses);

        let empty = parse_reply(&answer(&query(2, "web", TYPE_AAAA, CLASS_IN), &[], 0).unwrap());
        assert_eq!((empty.rcode(), empty.answers.len()), (0, 0));
        assert_eq!(empty.flags & 0x0400, 0x0400);

        let many = vec![Ipv4Addr::LOCALHOST; 100];
        let longest = vec!["a"; 127].join(".");
        let capped = answer(&query(3, &longest, TYPE_A, CLASS_IN), &many, 0).unwrap();
        assert!(capped.len() <= 512);
        assert_eq!(parse_reply(&capped).answers.len(), MAX_ANSWERS);
    }

    /// A server on a loopback socket, and a client socket to ask it.
    fn serve(upstream: Option<SocketAddr>) -> (NameServer, UdpSocket) {
        let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let server = NameServer::new(OwnedFd::from(listener), upstream).unwrap();
        (server, client)
    }

    /// Waits for the server's descriptor, as its owner's loop does, then lets it work.
    fn step(server: &mut NameServer) {
        let mut fds = [PollFd::new(server.fd(), PollFlags::POLLIN)];
        assert_eq!(poll(&mut fds, PollTimeout::from(5000u16)).unwrap(), 1);
        server.process(&mut |name, _| match name {
            "web" | "0123456789ab" | "db.alias" => vec![Ipv4Addr::new(10, 89, 0, 2)],
            _ => Vec::new(),
        });
    }

    fn receive(socket: &UdpSocket) -> Vec<u8> {
        let mut buf = [0; 4096];
        let len = socket.recv(&mut buf).unwrap();
        buf[..len].to_vec()
    }

    #[test]
    fn serves_local_names() {
        let (mut server, client) = serve(None);
        for (id, name) in [(1, "WEB."), (2, "0123456789ab"), (3, "db.Alias")] {
            client.send(&query(id, name, TYPE_A, CLASS_IN)).unwrap();
            step(&mut server);
            let reply = parse_reply(&receive(&client));
            assert_eq!(reply.id, id);
            assert_eq!(reply.rcode(), 0);
            assert_eq!(reply.addresses(), [Ipv4Addr::new(10, 89, 0, 2)], "{name}");
        }
        for qtype in [TYPE_AAAA, TYPE_MX] {
            client.send(&query(4, "web", qtype, CLASS_IN)).unwrap();
            step(&mut server);
            let reply = parse_reply(&receive(&client));
            assert_eq!((reply.id, reply.rcode(), reply.answers.len()), (4, 0, 0));
        }
        // Without upstream, other names and classes fail at once.
        for (name, class) in [("example.org", CLASS_IN), ("web", CLASS_CH)] {
            client.send(&query(5, name, TYPE_A, class)).unwrap();
            step(&mut server);
            let reply = parse_reply(&receive(&client));
            assert_eq!((reply.id, reply.rcode()), (5, u16::from(RCODE_SERVFAIL)));
            assert_eq!(reply.flags & 0x0400, 0, "not authoritative");
        }
        assert_eq!(server.timeout(), None);
    }

    #[test]
    fn drops_malformed_datagrams() {
        let (mut server, client) = serve(None);
        let mut garbage = query(9, "", TYPE_A, CLASS_IN)[..HEADER_LEN].to_vec();
        garbage.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        client.send(&garbage).unwrap();
        client.send(b"\x00").unwrap();
        client.send(&query(10, "web", TYPE_A, CLASS_IN)).unwrap();
        step(&mut server);
        assert_eq!(
            parse_reply(&receive(&client)).id,
            10,
            "only the good one answered"
        );
    }

    #[test]
    fn forwards_other_names() {
        let upstream = UdpSocket::bind("127.0.0.1:0").unwrap();
        upstream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let (mut server, client) = serve(Some(upstream.local_addr().unwrap()));
        let asked = query(0xbeef, "Example.org", TYPE_A, CLASS_IN);
        client.send(&asked).unwrap();
        step(&mut server);
        assert!(server.timeout().is_some_and(|t| t <= FORWARD_TIMEOUT));

        let mut buf = [0; 512];
        let (len, forwarder) = upstream.recv_from(&mut buf).unwrap();
        assert_eq!(
            &buf[2..len],
            &asked[2..],
            "forwarded unchanged but for the id"
        );
        let upstream_id = [buf[0], buf[1]];
        let mut reply = answer(&buf[..len], &[Ipv4Addr::new(192, 0, 2, 7)], 60).unwrap();
        reply[2] &= !0x04;

        // Someone else answers first, from another address: ignored.
        let forger = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut forged = answer(&buf[..len], &[Ipv4Addr::new(203, 0, 113, 6)], 60).unwrap();
        forged[..2].copy_from_slice(&upstream_id);
        forger.send_to(&forged, forwarder).unwrap();
        // Upstream itself, about another question or with an unknown id: ignored.
        let mut other = answer(&query(0, "other.org", TYPE_A, CLASS_IN), &[], 0).unwrap();
        other[..2].copy_from_slice(&upstream_id);
        upstream.send_to(&other, forwarder).unwrap();
        let mut unknown = reply.clone();
        unknown[0] ^= 0xff;
        upstream.send_to(&unknown, forwarder).unwrap();
        upstream.send_to(&reply, forwarder).unwrap();
        // The forged and the stray replies come first; wait until the real one is read.
        while !server.pending.is_empty() {
            step(&mut server);
        }

        let relayed = receive(&client);
        assert_eq!(&relayed[2..], &reply[2..]);
        let relayed = parse_reply(&relayed);
        assert_eq!(relayed.id, 0xbeef);
        assert_eq!(relayed.addresses(), [Ipv4Addr::new(192, 0, 2, 7)]);
        assert_eq!(server.timeout(), None);
    }

    #[test]
    fn pending_forwards_are_bounded() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (mut server, client) = serve(Some(silent.local_addr().unwrap()));
        for id in 0..MAX_PENDING as u16 + 10 {
            server.forward(
                &query(id, "example.org", TYPE_A, CLASS_IN),
                question(&query(id, "example.org", TYPE_A, CLASS_IN)).unwrap(),
                client.local_addr().unwrap(),
            );
        }
        assert_eq!(server.pending.len(), MAX_PENDING);
        assert_eq!(
            server.pending[0].client_id,
            10u16.to_be_bytes(),
            "oldest dropped"
        );
        server.expire(Instant::now());
        assert_eq!(server.pending.len(), MAX_PENDING);
        server.expire(Instant::now() + FORWARD_TIMEOUT);
        assert!(server.pending.is_empty());
    }
}
