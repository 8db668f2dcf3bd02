// master_key.cpp: reading the master key from privacy.master_key_file or
// privacy.master_key_command.
//
// Format (both sources): 64 hexadecimal characters (256 bits), optionally
// followed by whitespace such as a newline. The file must be a regular file
// owned by the server's OS user with no group or world access (0600 or
// 0400); it is opened with O_NONBLOCK and checked with fstat before any read,
// so a FIFO, a device or a socket is refused instead of blocking the backend
// (an open of a FIFO without a writer blocks, and statement_timeout cannot
// interrupt it). A command must print the key and exit with status 0 within
// privacy.master_key_command_timeout; it runs in its own process group, which
// is killed on timeout or when the statement is cancelled.
//
// Invariants: the key is never cached here; callers unwrap data keys and wipe
// it at once. Buffers that held key text are wiped before any error is
// raised. Must never: put key bytes or command output into a message.
#include "pg/keys/master_key.hpp"

#include "pg/guc.hpp"

#include <sodium.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg/postgres.hpp"

extern "C" {
#include "miscadmin.h"
#include "port.h"
#include "storage/fd.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

constexpr std::size_t kMaxKeyText = 256;

// ParseHexKey decodes 64 hex characters followed only by whitespace.
bool
ParseHexKey(const char *text, std::size_t len, unsigned char *key) {
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
	                   text[len - 1] == '\t'))
		len--;
	if (len != 2 * kMasterKeyBytes)
		return false;
	std::size_t bin_len = 0;
	if (sodium_hex2bin(key, kMasterKeyBytes, text, len, NULL, &bin_len, NULL) != 0 || bin_len != kMasterKeyBytes) {
		sodium_memzero(key, kMasterKeyBytes);
		return false;
	}
	return true;
}

void
LoadFromFile(const char *path, unsigned char *key) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer (nothing else is
	// read before fstat has proven this is a regular file)
	int fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0) {
		if (errno == ENOENT)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg("master key file \"%s\" does not exist", path),
			                errhint("Create it with 64 hexadecimal characters (mode 0600, owned by the server user), "
			                        "or point privacy.master_key_file at it and reload."),
			                errhidestmt(true)));
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errcode_for_file_access(),
		                errmsg("could not open master key file \"%s\": %m", path), errhidestmt(true)));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg("could not stat master key file \"%s\": %m", path),
		                errhidestmt(true)));
	}
	if (!S_ISREG(st.st_mode)) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
		                errmsg("master key file \"%s\" is not a regular file", path),
		                errdetail("FIFOs, devices, sockets and directories are refused."),
		                errhint("Point privacy.master_key_file at a regular file, or use "
		                        "privacy.master_key_command to read the key from another source."),
		                errhidestmt(true)));
	}
	if (st.st_uid != geteuid()) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
		                errmsg("master key file \"%s\" is not owned by the database server user", path),
		                errhint("Change its owner to the operating system user that runs the server."),
		                errhidestmt(true)));
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
		                errmsg("master key file \"%s\" has group or world access", path),
		                errdetail("The file must have permissions u=rw (0600) or less."),
		                errhint("Run chmod 0600 on the file."), errhidestmt(true)));
	}
	char buf[kMaxKeyText + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	int read_errno = errno;
	CloseTransientFile(fd);
	bool ok = n > 0 && n <= (ssize_t)kMaxKeyText && ParseHexKey(buf, (std::size_t)n, key);
	sodium_memzero(buf, sizeof(buf));
	if (n < 0) {
		errno = read_errno;
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg("could not read master key file \"%s\": %m", path),
		                errhidestmt(true)));
	}
	if (!ok)
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
		                errmsg("master key file \"%s\" does not hold a 256-bit key", path),
		                errdetail("The file must contain 64 hexadecimal characters."), errhidestmt(true)));
}

// KillCommand kills the key command's process group and reaps the shell.
void
KillCommand(pid_t pid) {
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

// StartCommand runs command with /bin/sh in a new process group, its stdout
// on a pipe (returned in *read_fd, non-blocking) and stdin on /dev/null.
pid_t
StartCommand(const char *command, int *read_fd) {
	int fds[2];
	if (pipe(fds) != 0)
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("could not run master key command: %m"),
		                errhidestmt(true)));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("could not run master key command: %m"),
		                errhidestmt(true)));
	}
	if (pid == 0) {
		// child: no PostgreSQL function may run here
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0)
			dup2(null_fd, 0);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); // also from the parent: no window in which a kill misses it
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	*read_fd = fds[0];
	return pid;
}

// CommandState is what ServeInterrupts cleans up when an interrupt raises.
struct CommandState {
	pid_t pid;
	int fd;
	char *buf;
	std::size_t buf_len;
};

// ServeInterrupts lets a cancel, statement_timeout or termination through;
// when it raises, the command is killed and its output wiped first.
void
ServeInterrupts(CommandState *state) {
	if (!INTERRUPTS_PENDING_CONDITION())
		return;
	// a termination exits the process (FATAL, no longjmp to PG_CATCH): kill
	// the command first so that no key command outlives its backend
	if (ProcDiePending) {
		kill(-state->pid, SIGKILL);
		kill(state->pid, SIGKILL);
	}
	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		KillCommand(state->pid);
		close(state->fd);
		sodium_memzero(state->buf, state->buf_len);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

void
LoadFromCommand(const char *command, unsigned char *key) {
	char buf[kMaxKeyText + 1];
	int fd = -1;
	pid_t pid = StartCommand(command, &fd);
	CommandState state{pid, fd, buf, sizeof(buf)};
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), guc_master_key_command_timeout);
	std::size_t n = 0;
	bool timed_out = false;
	bool eof = false;
	int status = 0;
	bool reaped = false;
	while (!reaped) {
		ServeInterrupts(&state);
		long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0) {
			timed_out = true;
			KillCommand(pid);
			break;
		}
		if (!eof) {
			struct pollfd pfd = {fd, POLLIN, 0};
			int rc = poll(&pfd, 1, (int)Min(remaining, 100L));
			if (rc < 0 && errno != EINTR)
				eof = true;
			if (rc > 0) {
				char sink[256];
				ssize_t got;
				// keep the first kMaxKeyText + 1 bytes, drain the rest so the
				// command never blocks on a full pipe
				if (n < sizeof(buf))
					got = read(fd, buf + n, sizeof(buf) - n);
				else
					got = read(fd, sink, sizeof(sink));
				sodium_memzero(sink, sizeof(sink));
				if (got > 0 && n < sizeof(buf))
					n += (std::size_t)got;
				else if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
					eof = true;
			}
			continue;
		}
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid) {
			reaped = true;
			kill(-pid, SIGKILL); // whatever the command left running in its group
		} else if (done < 0 && errno != EINTR) {
			status = -1;
			reaped = true;
		} else {
			pg_usleep(10000L);
		}
	}
	close(fd);
	bool ok = !timed_out && status == 0 && n > 0 && n <= kMaxKeyText && ParseHexKey(buf, n, key);
	sodium_memzero(buf, sizeof(buf));
	if (timed_out)
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("master key command timed out"),
		                errdetail("It did not print the key and exit within %d ms; it was killed.",
		                          guc_master_key_command_timeout),
		                errhint("Check privacy.master_key_command, or raise privacy.master_key_command_timeout."),
		                errhidestmt(true)));
	if (status != 0) {
		char *reason = status == -1 ? pstrdup("could not be waited for") : wait_result_to_str(status);
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("master key command failed"),
		                errdetail("The command %s.", reason),
		                errhint("Check privacy.master_key_command; it must print the master key and exit with "
		                        "status 0."),
		                errhidestmt(true)));
	}
	if (!ok)
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
		                errmsg("master key command did not print a 256-bit key"),
		                errdetail("It must print 64 hexadecimal characters."), errhidestmt(true)));
}

} // namespace

void
LoadMasterKey(unsigned char *key) {
	const char *file = guc_master_key_file;
	const char *command = guc_master_key_command;
	bool have_file = file != NULL && file[0] != '\0';
	bool have_command = command != NULL && command[0] != '\0';
	if (have_file && have_command)
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR),
		                errmsg("privacy.master_key_file and privacy.master_key_command are both set"),
		                errhint("Set only one of them and reload the configuration."), errhidestmt(true)));
	if (have_file) {
		LoadFromFile(file, key);
		return;
	}
	if (have_command) {
		LoadFromCommand(command, key);
		return;
	}
	ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("no master key is configured"),
	                errhint("Set privacy.master_key_file (a file of 64 hexadecimal characters, mode 0600) or "
	                        "privacy.master_key_command in postgresql.conf and reload the configuration."),
	                errhidestmt(true)));
}

} // namespace privacy::pg
