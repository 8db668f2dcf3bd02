// master_key.cpp: reading the master key from privacy.master_key_file or
// privacy.master_key_command.
//
// Format (both sources): 64 hexadecimal characters (256 bits), optionally
// followed by whitespace such as a newline. The file must be a regular file
// owned by the server's OS user with no group or world access (0600 or
// 0400); a command must exit with status 0.
//
// Invariants: the key is never cached here; callers unwrap data keys and wipe
// it at once. Buffers that held key text are wiped before any error is
// raised. Must never: put key bytes or command output into a message.
#include "pg/keys/master_key.hpp"

#include "pg/guc.hpp"

#include <sodium.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg/postgres.hpp"

extern "C" {
#include "port.h"
#include "storage/fd.h"
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
	int fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
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
		                errmsg("master key file \"%s\" is not a regular file", path), errhidestmt(true)));
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

void
LoadFromCommand(const char *command, unsigned char *key) {
	fflush(NULL);
	errno = 0;
	FILE *pipe = OpenPipeStream(command, "r");
	if (pipe == NULL)
		ereport(ERROR, (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION), errmsg("could not run master key command: %m"),
		                errhidestmt(true)));
	char buf[kMaxKeyText + 1];
	std::size_t n = fread(buf, 1, sizeof(buf), pipe);
	// drain anything longer so the command does not block on a full pipe
	char sink[256];
	while (fread(sink, 1, sizeof(sink), pipe) > 0)
		sodium_memzero(sink, sizeof(sink));
	sodium_memzero(sink, sizeof(sink));
	int status = ClosePipeStream(pipe);
	bool ok = status == 0 && n > 0 && n <= kMaxKeyText && ParseHexKey(buf, n, key);
	sodium_memzero(buf, sizeof(buf));
	if (status != 0) {
		char *reason = wait_result_to_str(status);
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
