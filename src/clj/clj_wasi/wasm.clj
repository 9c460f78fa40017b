(ns clj-wasi.wasm
  "Run WebAssembly modules, above all WASI Preview 1 commands, from Clojure.

      (require '[clj-wasi.wasm :as wasm])

      (wasm/run \"hello.wasm\" {:args [\"world\"]})
      ;; => {:exit 0, :out \"hello, world\\n\", :err \"\"}

      (with-open [inst (wasm/load-wasi \"hello.wasm\" {})]
        ((wasm/fn inst \"_start\")))   ; prints to *out*, returns the exit code

      (with-open [inst (wasm/load \"math.wasm\" {:imports {\"env\" {\"log\" println}}})]
        ((wasm/fn inst \"add\") 1 2))  ; => 3

  Every failure is an ex-info whose data has a :type: :wasm/malformed,
  :wasm/not-found, :wasm/io, :wasm/missing-imports, :wasm/import-mismatch,
  :wasm/unsupported, :wasm/compile, :wasm/no-such-export, :wasm/trap (with :kind),
  :wasm/bad-argument, :wasm/arity, :wasm/unsupported-type, :wasm/bad-result,
  :wasm/bad-option, :wasm/timeout, :wasm/limit, :wasm/closed, :wasm/interrupted,
  :wasm/no-memory, :wasm/out-of-bounds, :wasm/exit, :wasm/host-error, and
  :wasm/not-compiled when `clojure -X:deps prep` has not compiled the Java core
  (README's table says when each is thrown and what its data holds).

  After a trap an instance stays callable, with its memory and globals as the guest
  left them (as in wasmtime; nothing is rolled back): `snapshot` captures a state to
  start clean instances from.
  A guest's proc_exit never exits the JVM.

  Every public function has an s/fdef in clj-wasi.specs (its options maps checked key
  by key; not loaded with this namespace, which keeps the command line's start-up
  short), so

      (require 'clj-wasi.specs)
      (clojure.spec.test.alpha/instrument
        (clojure.spec.test.alpha/enumerate-namespace 'clj-wasi.wasm))

  makes a bad call fail at the call, with spec's explanation. Uninstrumented, the
  options are still checked: a bad one throws :wasm/bad-option naming :key."
  (:refer-clojure :exclude [fn instance? load read-string])
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.files :as files]
            [clj-wasi.impl.host :as host]
            [clj-wasi.impl.memory :as mem]
            [clj-wasi.impl.options :as options]
            [clj-wasi.impl.snapshot :as snap]
            [clj-wasi.impl.values :as values]
            [clj-wasi.impl.wat :as wat]
            [clojure.core :as core]
            [clojure.core.protocols :as protocols]
            [clojure.string :as str])
  (:import (clj_wasi.impl.memory CString)
           (clj_wasi.impl.snapshot Snapshot)
           (clj_wasi.impl.values ExportFn)
           (cljwasi Module ModuleInstance Signature)
           (cljwasi.engine.cache CompileCache)
           (cljwasi.wasi WasiCall WasiTracer)
           (com.dylibso.chicory.runtime Memory)
           (java.io ByteArrayOutputStream Closeable File InputStream)
           (java.net URL)
           (java.nio.charset StandardCharsets)
           (java.nio.file FileSystem Path)))

(set! *warn-on-reflection* true)

(deftype Instance [^ModuleInstance java captures trace files]
  Closeable
  (close [_]
    (try
      (errors/translating (.close java))
      (finally
        (when-let [^FileSystem fs (:fs files)] (.close fs))))))


;; Printed in the #<...> form the reader refuses: instances, modules and snapshots are
;; live objects, not data that could be read back.
(defmethod print-method Instance [^Instance i ^java.io.Writer w]
  (.write w (str "#<wasm/instance " (.name (.module ^ModuleInstance (.java i)))
                 (when (.isClosed ^ModuleInstance (.java i)) " closed") ">")))

(defmethod print-method Module [^Module m ^java.io.Writer w]
  (.write w (format "#<wasm/module %s: %d exports, %d imports>"
                    (.name m) (count (.exports m)) (count (.imports m)))))

(defmethod print-method Snapshot [^Snapshot s ^java.io.Writer w]
  (.write w (format "#<wasm/snapshot %s: %d bytes of memory>" (.name ^Module (.module s))
                    (if-let [^bytes b (.memory s)] (alength b) 0))))

(defn module?
  "Whether `x` is a parsed module (from `module`)."
  [x]
  (core/instance? Module x))

(defn instance?
  "Whether `x` is an instance (from `load` or `load-wasi`), open or closed."
  [x]
  (core/instance? Instance x))

(defn snapshot?
  "Whether `x` is a snapshot (from `snapshot`)."
  [x]
  (core/instance? Snapshot x))

(defn- export-name
  "An export name given as a string, keyword or symbol, as the string Wasm uses
  (a namespaced keyword :a/b names export \"a/b\")."
  ^String [x]
  (cond
    (string? x) x
    (keyword? x) (subs (str x) 1)
    (symbol? x) (str x)
    :else (errors/fail :bad-argument (str "an export name must be a string, keyword or symbol, got "
                                          (pr-str x))
                       {:value x :expected "a string, keyword or symbol"})))

(defn- java-instance ^ModuleInstance [inst]
  (if (core/instance? Instance inst)
    (.java ^Instance inst)
    (errors/fail :bad-argument (str "expected an instance from wasm/load or wasm/load-wasi, got "
                                    (pr-str inst))
                 {:value inst :expected "an instance"})))

(defn- parse-module
  "`src` (anything `module` takes) as a Module. With a CompileCache `cache`, a module an
  earlier run validated is parsed lazily (cljwasi.engine.ModulePlan)."
  ^Module [src ^CompileCache cache]
  (errors/translating
   (cond
     (core/instance? Module src) src
     (core/instance? Snapshot src) (.module ^Snapshot src)
     (string? src) (parse-module (File. ^String src) cache)
     (core/instance? Path src) (if (wat/wat-name? (str (.getFileName ^Path src)))
                                 (parse-module (.toFile ^Path src) cache)
                                 (Module/parse ^Path src cache))
     (core/instance? File src) (if (wat/wat-name? (.getName ^File src))
                                 (Module/parse ^bytes (wat/->wasm src) (.getName ^File src) cache)
                                 (Module/parse (.toPath ^File src) cache))
     (bytes? src) (Module/parse ^bytes src "module.wasm" cache)
     (core/instance? URL src) (with-open [in (.openStream ^URL src)]
                                (Module/parse ^InputStream in
                                              ^String (last (str/split (.getPath ^URL src) #"/"))
                                              cache))
     (core/instance? InputStream src) (Module/parse ^InputStream src "module.wasm" cache)
     :else (errors/fail :bad-argument (str "cannot load a module from " (pr-str src))
                        {:value src
                         :expected "a path, File, Path, URL, byte array, InputStream or module"}))))

(defn module
  "Parses and validates a module once, for instantiating many times (from any thread)
  with `load`, `load-wasi` or `run`, which also take any `src` this takes directly.

  `src` is a file path (string, File or Path; a .wat file is WebAssembly text,
  converted with wabt's wat2wasm, which must be on the PATH), a URL (e.g. `(clojure.java.io/resource
  \"m.wasm\")`), a byte array, an InputStream, an already parsed module, or a snapshot
  (its module).

      (def m (wasm/module \"test/wasm/hello.wasm\"))
      (wasm/run m {})"
  ^Module [src]
  (parse-module src nil))

(defn- trace-event [^WasiCall c]
  {:fn (.function c)
   :args (into {} (map (core/fn [[k v]] [(keyword (str/replace k "_" "-")) v])) (.args c))
   :errno (some-> (.errno c) keyword)
   :nanos (.nanos c)})

(defn- tracer [trace-opt trace-atom]
  (when trace-opt
    (let [sink (if (true? trace-opt) #(swap! trace-atom conj %) trace-opt)]
      (reify WasiTracer
        (onCall [_ c]
          (sink (trace-event c)))))))

(defn- instantiate
  "A new instance of `src` with `opts` (already validated), with WASI when `wasi?`."
  [src opts wasi?]
  (let [cache (options/compile-cache (:cache-dir opts))
        m (parse-module src cache)
        inst-promise (promise)
        trace-atom (atom [])
        {wasi-opts :options captures :captures vfs :files}
        (when wasi? (options/wasi-options opts (.name m) (tracer (:trace opts) trace-atom)))]
    (try
      (let [b (doto (ModuleInstance/builder m)
                (options/configure-instance! opts cache)
                (.wasi wasi-opts))]
        (doseq [f (host/host-functions m (:imports opts) inst-promise)] (.hostFunction b f))
        (let [inst (Instance. (errors/translating (.build b)) captures trace-atom vfs)]
          (deliver inst-promise inst)
          (when (snapshot? src)
            (try
              (errors/translating (snap/restore! src (.java ^Instance inst)))
              (catch Throwable t (.close ^Closeable inst) (throw t))))
          inst))
      (catch Throwable t
        (when-let [^FileSystem fs (:fs vfs)] (.close fs))
        (throw t)))))

(defn load
  "Instantiates a module without WASI. `opts` (this list comes from the options table
  of clj-wasi.impl.options, where each option's spec and flag are declared too):

    {{load options}}

  Linear memory grows only as far as the JVM heap affords: memory.grow returns -1
  when growing would leave less than max(max heap / 8, 32 MiB) free.

  Returns an instance (java.io.Closeable; use with-open).

      (with-open [i (wasm/load \"host_imports.wasm\"
                               {:imports {\"env\" {\"add\" +
                                                   \"log\" {:fn (fn [inst p n] (println (wasm/read-string inst p n)))
                                                          :instance? true}}
                                          \"math\" {\"scale\" #(* 2.0 %)}}})]
        ((wasm/fn i \"call_add\") 2 3))  ;=> 5"
  ([src] (load src {}))
  ([src opts] (instantiate src (options/validate! opts :load) false)))

(alter-meta! #'load update :doc options/document)

(defn- start-wasi
  "A WASI instance of `src` with `opts` (already validated), its reactor initialized."
  [src opts]
  (let [inst (instantiate src opts true)
        j (java-instance inst)]
    (when (and (not (snapshot? src))
               (contains? (.exports (.module j)) "_initialize")
               (not (contains? (.exports (.module j)) "_start")))
      (try
        (errors/translating (.call j "_initialize" (long-array 0)))
        (catch Throwable t
          (.close ^Closeable inst)
          (throw t))))
    inst))

(defn load-wasi
  "Instantiates a WASI Preview 1 module. Takes `load`'s options and:

    {{wasi options}}

  A reactor module's _initialize export, if any, runs here, unless `src` is a
  snapshot (which holds the state _initialize left).

      (with-open [i (wasm/load-wasi \"hello.wasm\" {:args [\"x\"]})]
        ((wasm/fn i \"_start\")))   ;=> 0, having printed to *out*"
  ([src] (load-wasi src {}))
  ([src opts] (start-wasi src (options/validate! opts :wasi))))

(alter-meta! #'load-wasi update :doc options/document)
(defn- signature->map [^Signature s types]
  (cond-> {:name (.name s) :kind (keyword (.kind s))}
    (.module s) (assoc :module (.module s))
    (= "function" (.kind s)) (assoc :params (mapv keyword (.params s))
                                    :results (mapv keyword (.results s)))
    types (merge types)))

(defn- module-of ^Module [x]
  (if (core/instance? Instance x) (.module (java-instance x)) (module x)))

(defn exports
  "The exports of an instance or module (or anything `module` takes), in order.
  Functions carry :params and :results; memories :min and :max (in 64 KiB pages) and
  :shared; tables :element, :min and :max; globals :type and :mutable. A memory or
  table declared without a maximum shows the effective one (65536 pages; Chicory's
  10000000 table entries).

      (wasm/exports \"test/wasm/numbers.wasm\")
      ;=> [{:name \"memory\", :kind :memory, :min 1, :max 4, :shared false}
      ;    {:name \"counter\", :kind :global, :type :i32, :mutable true}
      ;    {:name \"id_i32\", :kind :function, :params [:i32], :results [:i32]} ...]"
  [x]
  (let [m (module-of x)
        types (mem/export-types m)]
    (mapv (core/fn [^Signature s] (signature->map s (types (.name s)))) (vals (.exports m)))))

(defn imports
  "The imports of an instance or module, in order, described as `exports` describes
  exports, with the importing :module:

      (wasm/imports \"test/wasm/hello.wasm\")
      ;=> [{:name \"fd_write\", :kind :function, :module \"wasi_snapshot_preview1\",
      ;     :params [:i32 :i32 :i32 :i32], :results [:i32]} ...]"
  [x]
  (let [m (module-of x)]
    (mapv signature->map (.imports m) (mem/import-types m))))

(defn fn
  "A Clojure function for export `name` (a string, keyword or symbol) of `inst`.
  It prints as #<wasm/fn add [:i32 :i32] -> [:i32]>. Arguments are converted to the
  export's parameter types with range checks (i32: -2^31..2^32-1, i64: -2^63..2^64-1,
  f32/f64: numbers; a Float or Double keeps its exact bits, NaN payloads included);
  a wrong count throws :wasm/arity, a wrong value :wasm/bad-argument. It returns nil,
  one value (i32/i64 as Long, f32 as Float, f64 as Double), or a vector for several.

  For `_start` it runs the command and returns its exit code (0 when `_start` returns).
  proc_exit inside any other export throws :wasm/exit with :exit.

      ((wasm/fn inst \"add\") 2 3)     ;=> 5
      ((wasm/fn inst \"_start\"))       ;=> 0"
  [inst name]
  (let [j (java-instance inst)
        name (export-name name)
        ^Signature s (get (.exports (.module j)) name)]
    (when-not (and s (= "function" (.kind s)))
      (errors/translating (.export j name)))
    (let [params (mapv keyword (.params s))
          results (mapv keyword (.results s))]
      (ExportFn. name params results
                 (if (and (= "_start" name) (empty? params) (empty? results))
                   (core/fn
                     ([] (errors/translating (long (.runCommand j "_start"))))
                     ([& xs] (errors/fail :arity (format "_start takes no arguments, got %d" (count xs))
                                          {:function name :params [] :given (count xs)})))
                   (values/export-fn j name params results))))))

(defn- memory ^Memory [inst]
  (mem/memory (java-instance inst)))

(defn memory-size
  "The size of the instance's memory in bytes (a multiple of 65536)."
  [inst]
  (mem/size (memory inst)))

(defn read-bytes
  "`len` bytes of the instance's memory from `offset`, as a byte array.

      (String. (wasm/read-bytes inst 1024 5) \"UTF-8\")"
  ^bytes [inst offset len]
  (mem/read-bytes (memory inst) offset len))

(defn write-bytes!
  "Writes byte array `bs` into the instance's memory at `offset`; returns the count."
  [inst offset ^bytes bs]
  (mem/write-bytes! (memory inst) offset bs))

(defn read-string
  "`len` bytes of memory from `offset`, decoded as UTF-8 (all `len` of them, NULs
  included: for a NUL-terminated string use `read-cstring`)."
  [inst offset len]
  (String. (read-bytes inst offset len) StandardCharsets/UTF_8))

(defn write-string!
  "Writes `s` as UTF-8 (no terminator) at `offset`; returns the number of bytes.
  `write-cstring!` adds the NUL a C function expects."
  [inst offset ^String s]
  (write-bytes! inst offset (.getBytes s StandardCharsets/UTF_8)))

(defn read-cstring
  "The NUL-terminated UTF-8 string at `offset`, without its NUL (:wasm/out-of-bounds
  when memory ends before a NUL)."
  [inst offset]
  (mem/read-cstring (memory inst) offset))

(defn write-cstring!
  "Writes `s` as UTF-8 followed by a NUL at `offset`; returns the number of bytes
  written, the NUL included. A string containing NUL throws :wasm/bad-argument."
  [inst offset ^String s]
  (write-bytes! inst offset (mem/cstring-bytes s)))

(defn read-value
  "The value of type `ty` (:i32, :i64, :f32 or :f64) stored little-endian at `offset`,
  as a call result would be: i32/i64 as Long, f32 as Float, f64 as Double.

      (wasm/write-value! inst :f64 8 1.5)
      (wasm/read-value inst :f64 8)   ;=> 1.5"
  [inst ty offset]
  (mem/read-value (memory inst) ty offset))

(defn write-value!
  "Stores `v` as type `ty` (:i32, :i64, :f32 or :f64) little-endian at `offset`,
  converted and range-checked as a call argument is (:wasm/bad-argument); returns nil."
  [inst ty offset v]
  (mem/write-value! (memory inst) ty offset v))

(defn global
  "The current value of the exported global `name` (string, keyword or symbol):
  i32/i64 as Long, f32 as Float, f64 as Double. :wasm/no-such-export when the module
  exports no global of that name.

      (wasm/global inst :counter)   ;=> 0"
  [inst name]
  (mem/global-value (java-instance inst) (export-name name)))

(defn set-global!
  "Sets the exported mutable global `name` to `v` (checked as a call argument);
  returns nil. An immutable global throws :wasm/bad-argument."
  [inst name v]
  (mem/set-global! (java-instance inst) (export-name name) v))

(defn cstr
  "Marks string `s` for `call` to pass as one pointer to a NUL-terminated copy (a C
  `const char *`), instead of a pointer and a length."
  [s]
  (when-not (string? s)
    (errors/fail :bad-argument (str "cstr takes a string, got " (pr-str s))
                 {:value s :expected "a string"}))
  (mem/->CString s))

(def ^:private allocators
  "Export pairs a guest allocates and frees with: C's, and the Rust convention's."
  [["malloc" "free"] ["alloc" "dealloc"]])

(defn- guest-allocator [^ModuleInstance j]
  (let [exports (.exports (.module j))]
    (or (first (filter (core/fn [[a f]] (and (contains? exports a) (contains? exports f)))
                       allocators))
        (errors/fail :no-such-export
                     (format "%s exports no allocator (malloc and free, or alloc and dealloc) to pass strings or bytes with"
                             (.name (.module j)))
                     {:name "malloc" :exports (vec (keys exports))}))))

(defn- blob
  "The bytes `call` copies into guest memory for argument `a`, or nil for a number."
  ^bytes [a]
  (cond (string? a) (.getBytes ^String a StandardCharsets/UTF_8)
        (bytes? a) a
        (core/instance? CString a) (mem/cstring-bytes (.s ^CString a))))

(defn call
  "Calls export `name` of `inst` with `args`, passing strings and byte arrays through
  the guest's own allocator: each is copied into memory the guest allocates (with its
  exported malloc/free, or alloc/dealloc) and passed as two arguments, pointer and
  length in bytes (strings as UTF-8); `(cstr s)` passes one pointer to a
  NUL-terminated copy. Numbers pass as with `fn`. Everything allocated is freed after
  the call, also when it fails; free/dealloc gets (pointer) or (pointer, length) as
  its signature says. Returns what `fn` would.

      (with-open [inst (wasm/load-wasi \"test/wasm/reactor_api.wasm\")]
        [(wasm/call inst :count_vowels \"hello world\")     ; int count_vowels(const char *s, size_t n)
         (wasm/call inst :c_strlen (wasm/cstr \"hello\"))])  ; int c_strlen(const char *s)
      ;=> [3 5]"
  [inst name & args]
  (let [f (fn inst name)
        blobs (mapv blob args)] ; each argument encoded once
    (if-not (some some? blobs)
      (apply f args)
      (let [j (java-instance inst)
            [alloc-name free-name] (guest-allocator j)
            alloc (fn inst alloc-name)
            ^ExportFn free (fn inst free-name)
            free-takes-len? (= 2 (count (.params free)))
            allocated (atom [])
            place (core/fn [^bytes b]
                    (let [n (max 1 (alength b))
                          p (long (alloc n))]
                      (when (zero? p)
                        (errors/fail :limit (format "%s returned NULL for %d bytes" alloc-name n)
                                     {:limit :guest-alloc :requested n}))
                      (swap! allocated conj [p n])
                      (write-bytes! inst p b)
                      p))]
        (let [free-all #(when-not (.isClosed j)
                          (doseq [[p n] (rseq @allocated)]
                            (if free-takes-len? (free p n) (free p))))
              result (try
                       (apply f (mapcat (core/fn [a ^bytes b]
                                          (cond (nil? b) [a]
                                                (core/instance? CString a) [(place b)]
                                                :else [(place b) (alength b)]))
                                        args blobs))
                       (catch Throwable t
                         ;; after a trap the guest's heap may be broken and free trap
                         ;; too: the caller sees the call's failure, free's is suppressed
                         (try (free-all) (catch Throwable t2 (.addSuppressed t t2)))
                         (throw t)))]
          (free-all)
          result)))))

(defn snapshot
  "Captures the instance's Wasm state now: its linear memory, mutable globals and
  tables. Pass the snapshot to `load`, `load-wasi` or `run` in place of the module,
  and the new instance starts in that state instead of running its initialization
  (a reactor's _initialize is skipped), so an expensive set-up is paid once:

      (def warm (with-open [i (wasm/load-wasi \"test/wasm/reactor_api.wasm\")]
                  (wasm/snapshot i)))
      (with-open [i (wasm/load-wasi warm)]
        [((wasm/fn i :prime) 1999) ((wasm/fn i :init_runs))])
      ;=> [17389 1]   (the table was built once, in the first instance)

  WASI state is host state and is not captured: the new instance gets the stdio, args,
  env, preopens, :files, clock and random source of its own options. What the guest
  keeps in its own memory is captured with it, such as the arguments or environment
  its libc read during initialization, or output its libc buffered and did not yet
  write (flush before snapshotting). An instance whose guest holds open files or
  sockets (fds beyond stdio, preopens and listeners) cannot be snapshotted
  (:wasm/unsupported). Passive data and element segments count as not yet dropped in
  the new instance. Take a snapshot between calls, not while another thread is
  calling the instance. A snapshot is immutable and can start any number of
  instances, on any thread."
  [inst]
  (snap/capture (java-instance inst)))

(defn captured
  "What the guest wrote to `stream` (:stdout or :stderr) when it was given as :capture,
  decoded as UTF-8; nil when that stream was not captured."
  [inst stream]
  (let [i ^Instance inst]
    (when-let [^ByteArrayOutputStream buf (get (.captures i) stream)]
      (.flush (.wasi (java-instance inst)))
      (.toString buf "UTF-8"))))

(defn trace
  "The WASI calls recorded so far when the instance was made with `:trace true`."
  [inst]
  @(.trace ^Instance inst))

(defn files
  "The instance's in-memory tree (its :files option) as it is now, in the shape
  :files takes: a sorted map of guest path to content, with every regular file, every
  symlink as {:symlink \"target\"} and every empty directory as \"/path/\" {} (a
  directory with entries shows through them). File contents are strings (UTF-8) or,
  with `as` :bytes (default: the instance's :files-as), byte arrays. nil for an
  instance made without :files. Readable until the instance is closed.

      (with-open [i (wasm/load-wasi \"fileio.wasm\" {:args [\"/data\"]
                                                   :files {\"/data/in.txt\" \"hi\"}})]
        ((wasm/fn i \"_start\"))
        (wasm/files i))
      ;=> {\"/data/in.txt\" \"hi\", \"/data/out.txt\" \"written by wasm\\n\"}"
  ([inst] (files inst nil))
  ([inst as]
   (let [i ^Instance inst]
     (when-let [{:keys [fs roots files-as]} (.files i)]
       (when-not (.isOpen ^FileSystem fs)
         (errors/fail :closed "the instance is closed: its :files tree is gone" {}))
       (files/tree fs roots (or as files-as))))))

(defn close
  "Closes the instance: every file and socket the guest opened is released, and its
  in-memory :files tree with them."
  [inst]
  (.close ^Closeable inst))

(defn run
  "Runs a WASI command once and returns {:exit code :out \"...\" :err \"...\"}
  (with :trace when :trace is true, and with :files, the resulting in-memory tree as
  `files` returns it, when :files is given). Takes every option of `load-wasi` and
  of `load`, described there:

    {{option names}}

  Stdout and stderr are captured unless given, together capped (as :max-output-bytes)
  at min(64 MiB, max heap / 16) unless :max-output-bytes is given, and
  `{:stdout :tee :stderr :tee}` shows them live on *out* / *err* as the guest writes
  and still returns them. A trap throws :wasm/trap with the output (and tree) so far
  under :out and :err (and :files).

      (wasm/run \"test/wasm/echo_args.wasm\" {:args [\"a\" \"b\"] :env {\"K\" \"v\"}})
      (wasm/run \"test/wasm/fileio.wasm\" {:args [\"/data\"] :files {\"/data/in.txt\" \"hi\"}})
      ;=> {:exit 0, :out \"...\", :err \"\", :files {\"/data/in.txt\" \"hi\", \"/data/out.txt\" ...}}"
  ([src] (run src {}))
  ([src opts]
   (let [opts (merge {:stdout :capture :stderr :capture} (options/validate! opts :wasi))]
     (with-open [^Closeable inst (start-wasi src opts)]
       (let [result (core/fn [exit]
                      (cond-> {:exit exit}
                        (#{:capture :tee} (:stdout opts)) (assoc :out (captured inst :stdout))
                        (#{:capture :tee} (:stderr opts)) (assoc :err (captured inst :stderr))
                        (true? (:trace opts)) (assoc :trace (trace inst))
                        (:files opts) (assoc :files (files inst))))]
         (try
           (result ((fn inst "_start")))
           (catch clojure.lang.ExceptionInfo e
             (throw (ex-info (ex-message e) (merge (dissoc (result nil) :exit) (ex-data e))
                             (ex-cause e))))))))))

(alter-meta! #'run update :doc options/document)

(defn listen-addresses
  "The addresses the instance's :listen sockets are bound to, in order, as
  \"host:port\" strings (the real port where 0 was asked), e.g. to connect a client
  to a guest server running on a future:

      (with-open [i (wasm/load-wasi \"server.wasm\" {:listen [\"127.0.0.1:0\"]})]
        (let [server (future ((wasm/fn i \"_start\")))
              [addr] (wasm/listen-addresses i)]
          ...))"
  [inst]
  (mapv (core/fn [^java.net.InetSocketAddress a] (str (.getHostString a) ":" (.getPort a)))
        (.boundAddresses (java-instance inst))))

(defn- globals-now
  "Exported i32/i64/f32/f64 globals of an open instance, name -> value."
  [inst]
  (into {} (for [{:keys [name kind type]} (exports inst)
                 :when (and (= :global kind) (values/valtypes type))]
             [name (global inst name)])))

;; clojure.datafy: modules and instances as data, for REPL tooling (REBL, Portal...).
(extend-protocol protocols/Datafiable
  Module
  (datafy [m]
    {:name (.name m) :exports (exports m) :imports (imports m)})
  Instance
  (datafy [inst]
    (let [j (java-instance inst)
          closed (.isClosed j)]
      (cond-> {:module (.name (.module j)) :closed closed
               :exports (exports inst) :imports (imports inst)}
        (and (not closed) (.memory (.chicory j))) (assoc :memory (let [bytes (memory-size inst)]
                                                                   {:bytes bytes :pages (quot bytes 65536)}))
        (not closed) (assoc :globals (globals-now inst)))))
  ExportFn
  (datafy [f]
    {:name (.export-name f) :kind :function :params (.params f) :results (.results f)}))

