// The connection check of a deployment's run.sh (src/backend/deploy.ts), in Python 3 (every
// party has it: MP-SPDZ's compile.py needs it). MP-SPDZ alone waits 60 s for a missing peer and
// then says "Timed out waiting for peer" without naming it; retries a refused connection for 60 s;
// retries an unresolvable host name 60 times; and retries binding a port in use for 10 minutes.
// This check runs first and names the party, its HOSTS line and what to check, within
// PPVC_CONNECT_TIMEOUT seconds (long enough for people starting the parties by hand).
//
// How: each party listens on its own MP-SPDZ port and answers every connection with a banner
// line; it probes every other party until each answers, with the banner (still waiting) or
// without (its MP-SPDZ party program, which sends nothing first, is running). Party i starts its
// program once all are up and parties 0..i-1 run theirs: MP-SPDZ's party i connects to exactly
// those and itself (Networking/Player.cpp, setup_sockets), so it never reaches a check's
// listener, which would take its connection and close it. A probe that connects and closes without a word is
// what MP-SPDZ's listener tolerates ("left without identification").

/** Seconds run.sh waits for the other parties unless PPVC_CONNECT_TIMEOUT says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT = 600;

/** Arguments: HOSTS path, own party number, base port, number of parties, timeout, party names (comma-separated). */
export const RENDEZVOUS_PY = String.raw`import socket, sys, threading, time

hosts_path, me, base, n, limit_text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
names = sys.argv[6].split(',')
BANNER = b'ppvc-dsl run.sh is waiting for the other parties\n'
FINAL = {socket.EAI_NONAME, getattr(socket, 'EAI_NODATA', socket.EAI_NONAME)}


def say(*lines):
    for line in lines:
        print('run.sh: ' + line, file=sys.stderr, flush=True)


def fail(*lines):
    say(*lines)
    sys.exit(1)


try:
    limit = float(limit_text)
except ValueError:
    limit = -1
if not 0 < limit < 1e7:
    fail('PPVC_CONNECT_TIMEOUT=%s: expected a positive number of seconds' % limit_text)

# as MP-SPDZ reads -ip files (Networking/Player.cpp): every line not empty and not starting
# with '#' is the next party's host, or host:port; without a port, party i listens on base + i
parties = []
with open(hosts_path) as f:
    for no, line in enumerate(f, 1):
        line = line.rstrip('\r\n')
        if line and not line.startswith('#'):
            host, _, port = line.partition(':')
            if port and not port.strip().isdigit():
                fail('line %d of %s: the port %r is not a number' % (no, hosts_path, port))
            parties.append((no, host.strip(), int(port) if port else base + len(parties)))
if len(parties) < n:
    fail('%s lists %d hosts; the protocol needs %d, one per party' % (hosts_path, len(parties), n))


def who(j):
    no, host, port = parties[j]
    return 'party %d (%s) at %s:%d (line %d of HOSTS)' % (j, names[j], host, port, no)


def listen():
    no, _, port = parties[me]
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(('', port))
        server.listen(16)
    except OSError as e:
        fail('party %d (%s) cannot listen on its port %d (line %d of HOSTS): %s' % (me, names[me], port, no, e.strerror),
             'another program holds it (ss -ltnp \'sport = :%d\' shows which; an earlier run still going?):' % port,
             'stop it, or give party %d another port: HOST:PORT on line %d of every party\'s HOSTS' % (me, no))
    return server


def answer(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        try:
            conn.sendall(BANNER)
        except OSError:
            pass
        conn.close()


def probe(j, seconds):
    """'waiting' (its check answered), 'running' (its party program did), else why not."""
    no, host, port = parties[j]
    try:
        address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
    except socket.gaierror as e:
        if e.errno in FINAL:
            fail('line %d of HOSTS names party %d (%s) as %s, which does not resolve (%s):' % (no, j, names[j], host, e.strerror),
                 'correct that line in every party\'s HOSTS (a host name or IPv4 address, optionally :port)')
        return 'its host name does not resolve now (%s)' % e.strerror
    started = time.monotonic()
    try:
        conn = socket.create_connection(address, timeout=max(0.5, min(5, seconds)))
    except socket.timeout:
        return 'no answer: the host is down, or a firewall drops the connection'
    except ConnectionRefusedError:
        return 'connection refused: nothing listens there'
    except OSError as e:
        return (e.strerror or str(e)).lower()
    # a check's banner comes half a round trip after the connection; MP-SPDZ's listener says
    # nothing: silence for a second, or 4 connection times on a slow link, means it is running
    try:
        conn.settimeout(max(1.0, 4 * (time.monotonic() - started)))
        said = conn.recv(len(BANNER))
    except socket.timeout:
        return 'running'
    except OSError as e:
        return 'the connection broke (%s)' % (e.strerror or e)
    finally:
        conn.close()
    if not said:
        return 'it closed the connection at once: another program listens there?'
    return 'waiting' if said.startswith(BANNER[:15]) else 'another program answers there, neither run.sh nor an MP-SPDZ party'


def ready(state):
    others = [j for j in range(n) if j != me]
    return all(state.get(j) in ('waiting', 'running') for j in others) and all(state.get(j) == 'running' for j in range(me))


def why_not(j, state, seen):
    if state.get(j) == 'waiting':
        return '%s answers, but has not started its computation: its run.sh still waits for another party (it says which)' % who(j)
    if j in seen:
        return '%s answered, then stopped (its run.sh gave up or was stopped): %s' % (who(j), state[j])
    return '%s cannot be reached: %s' % (who(j), state.get(j, 'not tried'))


def wait_for_peers():
    start = time.monotonic()
    deadline = start + limit
    report = start + 10
    state = {}
    seen = set()  # parties that answered at some time
    while True:
        for j in range(n):
            if j != me and state.get(j) != 'running':
                state[j] = probe(j, deadline - time.monotonic())
                if state[j] in ('waiting', 'running'):
                    seen.add(j)
        if ready(state):
            return
        now = time.monotonic()
        missing = [j for j in range(n) if j != me and state.get(j) != 'running' and (j < me or state.get(j) != 'waiting')]
        if now >= deadline:
            fail(*[why_not(j, state, seen) for j in missing] +
                 ['waited %g s: check that %s started its run.sh, that its line of HOSTS is its address and port,' % (limit, 'each has' if len(missing) > 1 else 'it has'),
                  'and that its firewall lets that TCP port in from this host; PPVC_CONNECT_TIMEOUT=SECONDS waits longer'])
        if now >= report:
            say('waiting (%d s left): %s' % (deadline - now, '; '.join(why_not(j, state, seen) for j in missing)))
            report = now + 30
        time.sleep(0.5)


try:
    server = listen()
    threading.Thread(target=answer, args=(server,), daemon=True).start()
    wait_for_peers()
    try:
        server.shutdown(socket.SHUT_RDWR)  # wakes the thread's accept()
    except OSError:
        pass
    server.close()
except KeyboardInterrupt:
    fail('interrupted while waiting for the other parties')
`;
