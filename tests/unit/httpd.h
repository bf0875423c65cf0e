/* SPDX-License-Identifier: MIT */
/*
 * A throw-away HTTP server for the symbol-download tests: python3's
 * http.server serving a folder on 127.0.0.1, on a free port the kernel
 * picks (the server writes it to a file, renamed into place when
 * complete).  Paths under /trunc/ announce 100000 bytes and send 9, then
 * close the connection (HTTP/1.0): a truncated body.  Header-only, for
 * tests.  The server is a background job of the host shell (test_sh:
 * popen on POSIX, the wine bridge in the Windows build), its process id
 * in a file, stopped with kill(1): one way for both platforms.
 */
#ifndef HVS_TEST_HTTPD_H
#define HVS_TEST_HTTPD_H

#include <stdio.h>
#include <string.h>

#include "test.h"

#define TEST_HTTPD_PYTHON "/usr/bin/python3"

static const char test_httpd_py[] =
	"import http.server, os, sys\n"
	"root, portfile = sys.argv[1], sys.argv[2]\n"
	"class H(http.server.SimpleHTTPRequestHandler):\n"
	"    def __init__(s, *a, **k):\n"
	"        super().__init__(*a, directory=root, **k)\n"
	"    def log_message(s, *a):\n"
	"        pass\n"
	"    def do_GET(s):\n"
	"        if s.path.startswith('/trunc/'):\n"
	"            s.send_response(200)\n"
	"            s.send_header('Content-Length', '100000')\n"
	"            s.end_headers()\n"
	"            s.wfile.write(b'PDB:short')\n"
	"            return\n"
	"        return super().do_GET()\n"
	"srv = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
	"with open(portfile + '.t', 'w') as f:\n"
	"    f.write(str(srv.server_address[1]))\n"
	"os.rename(portfile + '.t', portfile)\n"
	"srv.serve_forever()\n";

typedef struct test_httpd {
	char pidfile[1100];
	int port;
	int running;
} test_httpd;

/* Stop the server started by test_httpd_start() (no-op if none). */
static void test_httpd_stop(test_httpd *h)
{
	if (h->running)
		test_shf("kill $(cat '%s') 2>/dev/null; rm -f '%s'", h->pidfile, h->pidfile);
	h->running = 0;
}

/*
 * Serve @root; the script, the port file and the pid file go to folder
 * @work.  @return 0 (h->port set); 77 when the host shell or python3 is
 * missing; -1 on failure.
 */
static int test_httpd_start(test_httpd *h, const char *root, const char *work)
{
	char script[1100], portfile[1100];
	FILE *f;
	int rc;
	h->port = 0;
	h->running = 0;
	if (test_sh_unavailable())
		return 77;
	snprintf(script, sizeof script, "%s/server.py", work);
	snprintf(portfile, sizeof portfile, "%s/port", work);
	snprintf(h->pidfile, sizeof h->pidfile, "%s/server.pid", work);
	remove(portfile);
	remove(h->pidfile);
	if (test_write_file(script, test_httpd_py, strlen(test_httpd_py)) != 0)
		return -1;
	/* A background job with its output on /dev/null, so nothing holds
	 * the pipes of the shell that starts it; that shell then waits up to
	 * 10 s for the interpreter to write the port file. */
	rc = test_shf("test -x %s || exit 77; %s '%s' '%s' '%s' </dev/null >/dev/null 2>&1 & "
		      "echo $! > '%s'; i=0; while [ ! -f '%s' ] && [ $i -lt 200 ]; do "
		      "sleep 0.05; i=$((i + 1)); done; test -f '%s'",
		      TEST_HTTPD_PYTHON, TEST_HTTPD_PYTHON, script, root, portfile, h->pidfile,
		      portfile, portfile);
	if (rc == 77)
		return 77;
	h->running = test_exists(h->pidfile);
	f = rc == 0 ? fopen(portfile, "r") : NULL;
	if (f) {
		if (fscanf(f, "%d", &h->port) != 1)
			h->port = 0;
		fclose(f);
	}
	if (!h->port) {
		test_httpd_stop(h);
		return -1;
	}
	return 0;
}

#endif
