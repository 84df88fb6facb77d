/* tests/poison/uv.h - a <uv.h> that fails when included. signals/ and
 * tokens/ are compiled once more with this directory first on the include
 * path (meson.build): the layers below runtime/ never include libuv. */
#error "signals/ and tokens/ must not include <uv.h>"
