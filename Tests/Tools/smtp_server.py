#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd): run with /usr/bin/python3 (Debian's python3-aiosmtpd).

Prints `listening on 127.0.0.1:PORT` as its first line on stdout once it accepts connections
(and nothing more there: logs go to stderr). Each accepted message is written atomically to
--dir as <n>.eml (the bytes as received, after dot-unstuffing) and <n>.json (envelope: mail_from,
rcpt_tos, authenticated user, whether TLS was on, the EHLO name), the .json first, the .eml last.

  --port 0               pick a free port (the default)
  --dir D                where messages go (required)
  --auth USER:PASS       require AUTH (PLAIN or LOGIN); with --starttls, only after STARTTLS
  --starttls             offer STARTTLS (required before MAIL) with a self-signed certificate
                         for localhost and 127.0.0.1, made with the openssl CLI
  --tls                  implicit TLS (smtps) with the same certificate
  --cert-file F          where to write the certificate (PEM) for the client's caFile
  --reject-rcpt PATTERN  550 for recipients matching the regular expression (re.search)
  --fail-first N         451 at the end of the first N DATA commands
  --slow-data-ms N       wait N ms after the data before replying; a client gone by then
                         gets no delivery (nothing is written)

It exits on SIGTERM, and by itself once the process that started it is gone.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def log(message):
    print(message, file=sys.stderr, flush=True)


def make_certificate(directory):
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.rename(temporary, path)


class Mailbox:
    def __init__(self, options):
        self.options = options
        self.count = 0
        self.data_commands = 0
        self.reject = re.compile(options.reject_rcpt) if options.reject_rcpt else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 <%s>: recipient refused" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.data_commands <= self.options.fail_first:
            return "451 4.3.0 try again later (failure %d of %d)" % (self.data_commands, self.options.fail_first)
        if self.options.slow_data_ms:
            log("data received; waiting %d ms before the reply" % self.options.slow_data_ms)
            await asyncio.sleep(self.options.slow_data_ms / 1000)
            if server.transport is None or server.transport.is_closing():
                log("client gone before the reply: not delivered")
                return "451 4.4.2 connection lost"
        self.count += 1
        number = self.count
        base = os.path.join(self.options.dir, str(number))
        envelope_json = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "helo": session.host_name,
        }
        write_atomically(base + ".json", json.dumps(envelope_json).encode())
        write_atomically(base + ".eml", envelope.original_content)
        log("accepted message %d from %s to %s" % (number, envelope.mail_from, envelope.rcpt_tos))
        return "250 2.0.0 OK queued as %d" % number


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


async def serve(options):
    mailbox = Mailbox(options)
    context = None
    if options.starttls or options.tls:
        directory = tempfile.mkdtemp(prefix="smtp-server-")
        cert, key = make_certificate(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if options.cert_file:
            shutil.copyfile(cert, options.cert_file + ".tmp")
            os.rename(options.cert_file + ".tmp", options.cert_file)

    parameters = {"hostname": "smtp.test", "data_size_limit": 64 * 1024 * 1024}
    if options.starttls:
        parameters.update(tls_context=context, require_starttls=True)
    if options.auth:
        user, _, password = options.auth.partition(":")
        parameters.update(authenticator=authenticator(user, password), auth_required=True,
                          auth_require_tls=bool(options.starttls or options.tls))
    else:
        parameters.update(auth_require_tls=False)

    def factory():
        return SMTP(mailbox, **parameters)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", options.port,
                                      ssl=context if options.tls else None)
    port = server.sockets[0].getsockname()[1]
    print("listening on 127.0.0.1:%d" % port, flush=True)
    watchdog = asyncio.create_task(exit_with_parent(options.parent))
    async with server:
        await server.serve_forever()


async def exit_with_parent(parent):
    """A test process that dies without stopping the server leaves no server behind."""
    while os.getppid() == parent:
        await asyncio.sleep(1)
    log("parent %d gone: exiting" % parent)
    os._exit(0)


def main():
    # The test process may start us with SIGTERM blocked (and ignored): stop means stop.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--cert-file")
    parser.add_argument("--reject-rcpt")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--slow-data-ms", type=int, default=0)
    options = parser.parse_args()
    options.parent = os.getppid()
    if options.starttls and options.tls:
        parser.error("--starttls and --tls exclude each other")
    if options.auth and ":" not in options.auth:
        parser.error("--auth: expected USER:PASS")
    os.makedirs(options.dir, exist_ok=True)
    try:
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
