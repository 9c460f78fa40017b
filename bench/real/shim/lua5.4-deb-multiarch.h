/* Debian's luaconf.h includes this for its module search path */
#define DEB_HOST_MULTIARCH "wasm32-wasi"
