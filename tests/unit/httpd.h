/* SPDX-License-Identifier: MIT */
/*
 * A throw-away HTTP server for the symbol-download tests: python3's
 * http.server serving a folder on 127.0.0.1, on a free port the kernel
 * picks (the server writes it to a file, renamed into place when
 * complete).  Paths under /trunc/ announce 100000 bytes and send 9, then
 * close the connection (HTTP/1.0): a truncated body.  Header-only, for
 * tests.  POSIX: the server is a forked child.  Windows (under wine): a
 * background job of the host shell (test_sh), its process id in a file,
 * stopped with kill(1) the same way.
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

#ifndef _WIN32
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct test_httpd {
	pid_t pid;
	int port;
} test_httpd;

/*
 * Serve @root; the script and the port file go to folder @work.
 * @return 0 (h->port set); 77 when python3 is missing; -1 on failure.
 */
static int test_httpd_start(test_httpd *h, const char *root, const char *work)
{
	char script[1100], portfile[1100];
	int i;
	h->pid = -1;
	h->port = 0;
	if (access(TEST_HTTPD_PYTHON, X_OK) != 0)
		return 77;
	snprintf(script, sizeof script, "%s/server.py", work);
	snprintf(portfile, sizeof portfile, "%s/port", work);
	remove(portfile);
	if (test_write_file(script, test_httpd_py, strlen(test_httpd_py)) != 0)
		return -1;
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		execl(TEST_HTTPD_PYTHON, TEST_HTTPD_PYTHON, script, root, portfile, (char *)NULL);
		_exit(127);
	}
	/* Up to 10 s for the interpreter to start. */
	for (i = 0; i < 200 && !h->port; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (fscanf(f, "%d", &h->port) != 1)
				h->port = 0;
			fclose(f);
		}
		if (!h->port) {
			struct timespec ts = { 0, 50000000L };
			nanosleep(&ts, NULL);
		}
	}
	if (!h->port) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, &i, 0);
		h->pid = -1;
		return -1;
	}
	return 0;
}

/* Stop the server started by test_httpd_start() (no-op if none). */
static void test_httpd_stop(test_httpd *h)
{
	int st;
	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, &st, 0);
	}
	h->pid = -1;
}

#else /* _WIN32 */
#include <windows.h>

typedef struct test_httpd {
	char pidfile[1100];
	int port;
	int running;
} test_httpd;

/*
 * Serve @root; the script, the port file and the pid file go to @work.
 * @return 0 (h->port set); 77 when the host shell or python3 is missing;
 * -1 on failure.
 */
static int test_httpd_start(test_httpd *h, const char *root, const char *work)
{
	char script[1100], portfile[1100];
	int i, rc;
	h->port = 0;
	h->running = 0;
	if (test_sh_unavailable())
		return 77;
	snprintf(script, sizeof script, "%s/server.py", work);
	snprintf(portfile, sizeof portfile, "%s/port", work);
	snprintf(h->pidfile, sizeof h->pidfile, "%s/server.pid", work);
	remove(portfile);
	if (test_write_file(script, test_httpd_py, strlen(test_httpd_py)) != 0)
		return -1;
	/* A background job with its output on /dev/null, so the shell that
	 * starts it ends at once and nothing holds its pipes. */
	rc = test_shf("test -x %s || exit 77; %s '%s' '%s' '%s' </dev/null >/dev/null 2>&1 & "
		      "echo $! > '%s'", TEST_HTTPD_PYTHON, TEST_HTTPD_PYTHON, script, root,
		      portfile, h->pidfile);
	if (rc == 77)
		return 77;
	if (rc != 0)
		return -1;
	h->running = 1;
	for (i = 0; i < 200 && !h->port; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (fscanf(f, "%d", &h->port) != 1)
				h->port = 0;
			fclose(f);
		}
		if (!h->port)
			Sleep(50);
	}
	if (!h->port) {
		test_shf("kill $(cat '%s') 2>/dev/null", h->pidfile);
		h->running = 0;
		return -1;
	}
	return 0;
}

/* Stop the server started by test_httpd_start() (no-op if none). */
static void test_httpd_stop(test_httpd *h)
{
	if (h->running)
		test_shf("kill $(cat '%s') 2>/dev/null; rm -f '%s'", h->pidfile, h->pidfile);
	h->running = 0;
}

#endif
#endif
