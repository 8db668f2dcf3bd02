// master_key.cpp: reading the master key from privacy.master_key_file or
// privacy.master_key_command (the previous master key, during a rotation,
// from privacy.previous_master_key_file or _command), and key material for
// import_key from a file or a command.
//
// Format (every source): hexadecimal characters (64 for a master key: 256
// bits; 32, 48 or 64 for imported material), optionally followed by
// whitespace such as a newline. A file must be a regular file owned by the
// server's OS user with no group or world access (0600 or 0400); it is
// opened with O_NONBLOCK and checked with fstat before any read, so a FIFO, a
// device or a socket is refused instead of blocking the backend (an open of a
// FIFO without a writer blocks, and statement_timeout cannot interrupt it). A
// command must print the key and exit with status 0 within
// privacy.master_key_command_timeout; it runs in its own process group, which
// is killed on timeout or when the statement is cancelled.
//
// Invariants: no key is cached here; the key is returned in sodium_malloc'd
// memory that the caller frees at once after use. Buffers that held key
// text are wiped before any error is raised; every error hides the
// statement and its context. Must never: put key bytes or command output
// into a message.
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

// Source describes one kind of secret and where its settings live, for the
// messages (never the secret).
struct Source {
	const char *file_setting;    // the setting naming the file (hints)
	const char *command_setting; // the setting naming the command (hints)
	bool material;               // import_key material: 16, 24 or 32 bytes; otherwise 32
	// the whole messages naming this kind of secret (%s: the file's path;
	// in run_failed, the system error)
	const char *missing;
	const char *open_failed;
	const char *stat_failed;
	const char *not_regular;
	const char *not_owned;
	const char *group_access;
	const char *read_failed;
	const char *bad_file;
	const char *run_failed;
	const char *timed_out;
	const char *failed;
	const char *bad_command;
	const char *none;
};

const Source kCurrent{
        "privacy.master_key_file",
        "privacy.master_key_command",
        false,
        gettext_noop("master key file \"%s\" does not exist"),
        gettext_noop("could not open master key file \"%s\": %m"),
        gettext_noop("could not stat master key file \"%s\": %m"),
        gettext_noop("master key file \"%s\" is not a regular file"),
        gettext_noop("master key file \"%s\" is not owned by the database server user"),
        gettext_noop("master key file \"%s\" has group or world access"),
        gettext_noop("could not read master key file \"%s\": %m"),
        gettext_noop("master key file \"%s\" does not hold a 256-bit key"),
        gettext_noop("could not run master key command: %s"),
        gettext_noop("master key command timed out"),
        gettext_noop("master key command failed"),
        gettext_noop("master key command did not print a 256-bit key"),
        gettext_noop("no master key is configured"),
};
const Source kPrevious{
        "privacy.previous_master_key_file",
        "privacy.previous_master_key_command",
        false,
        gettext_noop("previous master key file \"%s\" does not exist"),
        gettext_noop("could not open previous master key file \"%s\": %m"),
        gettext_noop("could not stat previous master key file \"%s\": %m"),
        gettext_noop("previous master key file \"%s\" is not a regular file"),
        gettext_noop("previous master key file \"%s\" is not owned by the database server user"),
        gettext_noop("previous master key file \"%s\" has group or world access"),
        gettext_noop("could not read previous master key file \"%s\": %m"),
        gettext_noop("previous master key file \"%s\" does not hold a 256-bit key"),
        gettext_noop("could not run previous master key command: %s"),
        gettext_noop("previous master key command timed out"),
        gettext_noop("previous master key command failed"),
        gettext_noop("previous master key command did not print a 256-bit key"),
        gettext_noop("no previous master key is configured"),
};
const Source kMaterial{
        "material_file",
        "material_command",
        true,
        gettext_noop("key material file \"%s\" does not exist"),
        gettext_noop("could not open key material file \"%s\": %m"),
        gettext_noop("could not stat key material file \"%s\": %m"),
        gettext_noop("key material file \"%s\" is not a regular file"),
        gettext_noop("key material file \"%s\" is not owned by the database server user"),
        gettext_noop("key material file \"%s\" has group or world access"),
        gettext_noop("could not read key material file \"%s\": %m"),
        gettext_noop("key material file \"%s\" does not hold a 128-, 192- or 256-bit key"),
        gettext_noop("could not run key material command: %s"),
        gettext_noop("key material command timed out"),
        gettext_noop("key material command failed"),
        gettext_noop("key material command did not print a 128-, 192- or 256-bit key"),
        gettext_noop("no key material is configured"),
};

// ParseHexKey decodes hexadecimal characters followed only by whitespace into
// key (capacity 32 bytes); returns the key length (32, or for material 16, 24
// or 32), 0 when the text is not such a key.
std::size_t
ParseHexKey(const char *text, std::size_t len, unsigned char *key, bool material) {
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
	                   text[len - 1] == '\t'))
		len--;
	std::size_t want = len / 2;
	if (len % 2 != 0 || !(want == 32 || (material && (want == 16 || want == 24))))
		return 0;
	std::size_t bin_len = 0;
	if (sodium_hex2bin(key, 32, text, len, NULL, &bin_len, NULL) != 0 || bin_len != want) {
		sodium_memzero(key, 32);
		return 0;
	}
	return want;
}

// BadContent raises the error for a file (path) or a command (path NULL)
// whose text is not a key.
void
BadContent(const Source &source, const char *path) {
	const char *detail = source.material ? "It must hold 32, 48 or 64 hexadecimal characters."
	                                     : "It must hold 64 hexadecimal characters.";
	if (path != NULL)
		ereport(ERROR, (errcode(source.material ? ERRCODE_INVALID_PARAMETER_VALUE
		                                        : ERRCODE_CONFIG_FILE_ERROR),
		                errmsg(source.bad_file, path), errdetail("%s", detail), errhidestmt(true),
		                errhidecontext(true)));
	ereport(ERROR, (errcode(source.material ? ERRCODE_INVALID_PARAMETER_VALUE
	                                        : ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
	                errmsg("%s", _(source.bad_command)), errdetail("%s", detail), errhidestmt(true),
	                errhidecontext(true)));
}

// LoadFromFile reads a key from path into key (32 bytes); returns its length.
std::size_t
LoadFromFile(const Source &source, const char *path, unsigned char *key) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer (nothing else is
	// read before fstat has proven this is a regular file)
	int fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0) {
		if (errno == ENOENT)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg(source.missing, path),
			                errhint("Create it with 64 hexadecimal characters (mode 0600, owned by "
			                        "the server user), or point %s at it and reload.",
			                        source.file_setting),
			                errhidestmt(true), errhidecontext(true)));
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.open_failed, path),
		                errhidestmt(true), errhidecontext(true)));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.stat_failed, path),
		                errhidestmt(true), errhidecontext(true)));
	}
	if (!S_ISREG(st.st_mode)) {
		CloseTransientFile(fd);
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.not_regular, path),
		                errdetail("FIFOs, devices, sockets and directories are refused."),
		                errhint("Point %s at a regular file, or use %s to read the key from "
		                        "another source.",
		                        source.file_setting, source.command_setting),
		                errhidestmt(true), errhidecontext(true)));
	}
	if (st.st_uid != geteuid()) {
		CloseTransientFile(fd);
		ereport(ERROR,
		        (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.not_owned, path),
		         errhint("Change its owner to the operating system user that runs the server."),
		         errhidestmt(true), errhidecontext(true)));
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		CloseTransientFile(fd);
		ereport(ERROR,
		        (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.group_access, path),
		         errdetail("The file must have permissions u=rw (0600) or less."),
		         errhint("Run chmod 0600 on the file."), errhidestmt(true), errhidecontext(true)));
	}
	char buf[kMaxKeyText + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	int read_errno = errno;
	CloseTransientFile(fd);
	std::size_t len = n > 0 && n <= (ssize_t)kMaxKeyText
	                          ? ParseHexKey(buf, (std::size_t)n, key, source.material)
	                          : 0;
	sodium_memzero(buf, sizeof(buf));
	if (n < 0) {
		errno = read_errno;
		ereport(ERROR, (errcode(ERRCODE_CONFIG_FILE_ERROR), errmsg(source.read_failed, path),
		                errhidestmt(true), errhidecontext(true)));
	}
	if (len == 0)
		BadContent(source, path);
	return len;
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
StartCommand(const Source &source, const char *command, int *read_fd) {
	int fds[2];
	if (pipe(fds) != 0) {
		const char *reason = strerror(errno);
		ereport(ERROR,
		        (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg(source.run_failed, reason),
		         errhidestmt(true), errhidecontext(true)));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		const char *reason = strerror(errno);
		close(fds[0]);
		close(fds[1]);
		ereport(ERROR,
		        (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg(source.run_failed, reason),
		         errhidestmt(true), errhidecontext(true)));
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
	{ CHECK_FOR_INTERRUPTS(); }
	PG_CATCH();
	{
		KillCommand(state->pid);
		close(state->fd);
		sodium_memzero(state->buf, state->buf_len);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

// LoadFromCommand reads a key printed by command into key (32 bytes);
// returns its length.
std::size_t
LoadFromCommand(const Source &source, const char *command, unsigned char *key) {
	char buf[kMaxKeyText + 1];
	int fd = -1;
	pid_t pid = StartCommand(source, command, &fd);
	CommandState state{pid, fd, buf, sizeof(buf)};
	TimestampTz deadline =
	        TimestampTzPlusMilliseconds(GetCurrentTimestamp(), guc_master_key_command_timeout);
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
	std::size_t len = !timed_out && status == 0 && n > 0 && n <= kMaxKeyText
	                          ? ParseHexKey(buf, n, key, source.material)
	                          : 0;
	sodium_memzero(buf, sizeof(buf));
	if (timed_out)
		ereport(ERROR,
		        (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("%s", _(source.timed_out)),
		         errdetail("It did not print the key and exit within %d ms; it was killed.",
		                   guc_master_key_command_timeout),
		         errhint("Check %s, or raise privacy.master_key_command_timeout.",
		                 source.command_setting),
		         errhidestmt(true), errhidecontext(true)));
	if (status != 0) {
		char *reason =
		        status == -1 ? pstrdup("could not be waited for") : wait_result_to_str(status);
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("%s", _(source.failed)),
		                errdetail("The command failed: %s.", reason),
		                errhint("Check %s; it must print the key and exit with status 0.",
		                        source.command_setting),
		                errhidestmt(true), errhidecontext(true)));
	}
	if (len == 0)
		BadContent(source, NULL);
	return len;
}

// Load fills key (32 bytes of sodium_malloc'd memory) from exactly one of
// file and command; returns the key length.
std::size_t
Load(const Source &source, const char *file, const char *command, unsigned char *key) {
	bool have_file = file != NULL && file[0] != '\0';
	bool have_command = command != NULL && command[0] != '\0';
	if (have_file && have_command)
		ereport(ERROR,
		        (errcode(source.material ? ERRCODE_INVALID_PARAMETER_VALUE
		                                 : ERRCODE_CONFIG_FILE_ERROR),
		         errmsg("%s and %s are both set", source.file_setting, source.command_setting),
		         errhint(source.material ? "Pass only one of them."
		                                 : "Set only one of them and reload the configuration."),
		         errhidestmt(true), errhidecontext(true)));
	if (have_file)
		return LoadFromFile(source, file, key);
	if (have_command)
		return LoadFromCommand(source, command, key);
	if (source.material)
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("key material must not be null"),
		         errhint("Pass material, material_file or material_command."), errhidestmt(true),
		         errhidecontext(true)));
	ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("%s", _(source.none)),
	                &source == &kPrevious
	                        ? errhint("Set privacy.previous_master_key_file or "
	                                  "privacy.previous_master_key_command to the master key the "
	                                  "keys were wrapped under, and reload the configuration.")
	                        : errhint("Set privacy.master_key_file (a file of 64 hexadecimal "
	                                  "characters, mode 0600) or privacy.master_key_command in "
	                                  "postgresql.conf and reload the configuration."),
	                errhidestmt(true), errhidecontext(true)));
	pg_unreachable();
}

struct LoadArgs {
	const Source *source;
	const char *file;
	const char *command;
	unsigned char *key;
	std::size_t len;
};

// LoadSecure runs Load into fresh sodium_malloc'd memory, freeing it when
// Load raises.
unsigned char *
LoadSecure(const Source &source, const char *file, const char *command, std::size_t *len) {
	unsigned char *key = (unsigned char *)sodium_malloc(32);
	if (key == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of secure memory"),
		                errhidestmt(true), errhidecontext(true)));
	LoadArgs args{&source, file, command, key, 0};
	PG_TRY();
	{ args.len = Load(*args.source, args.file, args.command, args.key); }
	PG_CATCH();
	{
		sodium_free(key);
		PG_RE_THROW();
	}
	PG_END_TRY();
	*len = args.len;
	return key;
}

} // namespace

bool
MasterKeyConfigured(MasterKeySlot slot) {
	const char *file =
	        slot == MasterKeySlot::kCurrent ? guc_master_key_file : guc_previous_master_key_file;
	const char *command = slot == MasterKeySlot::kCurrent ? guc_master_key_command
	                                                      : guc_previous_master_key_command;
	return (file != NULL && file[0] != '\0') || (command != NULL && command[0] != '\0');
}

unsigned char *
AcquireMasterKey(MasterKeySlot slot) {
	std::size_t len = 0;
	if (slot == MasterKeySlot::kCurrent)
		return LoadSecure(kCurrent, guc_master_key_file, guc_master_key_command, &len);
	return LoadSecure(kPrevious, guc_previous_master_key_file, guc_previous_master_key_command,
	                  &len);
}

void
MasterKeyId(const unsigned char *key, char id[kMasterKeyIdChars + 1]) {
	static const char kLabel[] = "pg_privacy master key id v1";
	unsigned char mac[crypto_generichash_BYTES_MIN]; // 16 bytes; the id is the first 8
	crypto_generichash(mac, sizeof(mac), (const unsigned char *)kLabel, sizeof(kLabel) - 1, key,
	                   kMasterKeyBytes);
	sodium_bin2hex(id, kMasterKeyIdChars + 1, mac, kMasterKeyIdChars / 2);
}

unsigned char *
ReadKeyMaterial(const char *file, const char *command, std::size_t *len) {
	return LoadSecure(kMaterial, file, command, len);
}

} // namespace privacy::pg
