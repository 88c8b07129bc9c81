#include <wif/provider.h>
