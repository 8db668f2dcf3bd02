// guc.hpp: the privacy.* settings, all defined in guc.cpp.
#pragma once

namespace privacy::pg {

// privacy.masking (superuser only): dynamic masking enforcement switch.
extern bool guc_masking;

// privacy.purpose (user): the purpose the session declares.
extern char *guc_purpose;

// RegisterGucs defines every privacy.* setting and reserves the prefix.
void RegisterGucs();

} // namespace privacy::pg
