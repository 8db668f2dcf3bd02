// guc.hpp: the privacy.* settings, all defined in guc.cpp.
#pragma once

namespace privacy::pg {

// privacy.masking (superuser only): dynamic masking enforcement switch.
extern bool guc_masking;

// privacy.master_key_command / privacy.master_key_file (SIGHUP, superuser
// only): where the tokenization master key comes from (a command or a path,
// never the key itself).
extern char *guc_master_key_command;
extern char *guc_master_key_file;

// privacy.purpose (user): the purpose the session declares.
extern char *guc_purpose;

// RegisterGucs defines every privacy.* setting and reserves the prefix.
void RegisterGucs();

} // namespace privacy::pg
