(ns clj-wasi.test-util
  "Helpers shared by the test namespaces."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [is testing]]
            [clojure.test.check.generators :as gen])
  (:import (java.nio.file Files LinkOption Path)
           (java.nio.file.attribute FileAttribute)))

(defn wasm
  "The path of test program `name` (without .wasm)."
  [name]
  (str "test/wasm/" name ".wasm"))

(defn thrown-data
  "The ex-data of what `f` throws, or ::no-exception."
  [f]
  (try (f) ::no-exception
       (catch clojure.lang.ExceptionInfo e (ex-data e))))

(defn temp-dir
  "A new temporary directory (a java.io.File)."
  ^java.io.File [prefix]
  (.toFile (Files/createTempDirectory prefix (make-array FileAttribute 0))))

(declare delete-path)

(defn delete-tree
  "Deletes the tree at File `f` without following symlinks (a guest may have made a
  link to `.`)."
  [^java.io.File f]
  (delete-path (.toPath f)))

(defmacro with-temp-dir
  "Binds `sym` to a fresh temporary directory, deleted afterwards."
  [[sym prefix] & body]
  `(let [~sym (temp-dir ~(or prefix "clj-wasi-test"))]
     (try ~@body (finally (delete-tree ~sym)))))

(def gen-unicode-char
  "Any Unicode scalar value except NUL (C strings end there), as a string."
  (gen/fmap (fn [cp] (String. (Character/toChars (int cp))))
            (gen/such-that #(not (<= 0xD800 % 0xDFFF))
                           (gen/frequency [[6 (gen/choose 1 0x7F)]
                                           [3 (gen/choose 0x80 0xFFFF)]
                                           [1 (gen/choose 0x10000 0x10FFFF)]])
                           100)))

(def gen-unicode-string
  "A string of any Unicode scalar values but NUL, newlines and '=' included."
  (gen/fmap #(apply str %) (gen/vector gen-unicode-char 0 12)))

(defn java-cmd
  "A command line starting a JVM with this test JVM's classpath."
  [& args]
  (into [(str (System/getProperty "java.home") "/bin/java")
         "-XX:TieredStopAtLevel=1" "-XX:+UseSerialGC" "-Xshare:auto"
         "--enable-native-access=ALL-UNNAMED"
         "-cp" (System/getProperty "java.class.path")]
        args))

(defn sh
  "Runs `cmd` (a vector) with `stdin` (string); returns {:exit :out :err}."
  [cmd & {:keys [stdin dir]}]
  (let [pb (doto (ProcessBuilder. ^java.util.List cmd)
             (.directory (io/file (or dir "."))))
        p (.start pb)
        out (future (slurp (.getInputStream p)))
        err (future (slurp (.getErrorStream p)))]
    (with-open [in (.getOutputStream p)]
      (when stdin (.write in (.getBytes ^String stdin "UTF-8"))))
    {:exit (.waitFor p) :out @out :err @err}))

(def nofollow
  "Link options for looking at a symlink itself."
  (into-array LinkOption [LinkOption/NOFOLLOW_LINKS]))

(defn temp-path
  "A new temporary directory, as a java.nio.file.Path."
  ^Path [prefix]
  (Files/createTempDirectory prefix (make-array FileAttribute 0)))

(defn delete-path
  "Deletes the tree at `p` without following symlinks."
  [^Path p]
  (when (Files/exists p nofollow)
    (with-open [s (Files/walk p (make-array java.nio.file.FileVisitOption 0))]
      (doseq [^Path f (reverse (sort-by str (iterator-seq (.iterator s))))]
        (Files/deleteIfExists f)))))

(defn assert-checks
  "Asserts a self-checking test program's run: its stdout is `ok LABEL` / `FAIL LABEL:
  ...` lines (every FAIL fails here) ending in `checks N fails 0`, and it exited 0.
  Returns the output lines."
  [label {:keys [out err exit]}]
  (let [lines (str/split-lines out)]
    (testing label
      (doseq [l lines :when (str/starts-with? l "FAIL")] (is false l))
      (is (re-matches #"checks [1-9]\d* fails 0" (str (last lines))) (str "last line: " (last lines) " " err))
      (is (= 0 exit) err))
    lines))

(defn with-props*
  "Calls f with the system properties props (string -> string) set, then restores them."
  [props f]
  (let [old (into {} (for [k (keys props)] [k (System/getProperty k)]))]
    (try
      (doseq [[k v] props] (System/setProperty k v))
      (f)
      (finally
        (doseq [[k v] old]
          (if v (System/setProperty k v) (System/clearProperty k)))))))

(defmacro with-props
  "Runs body with the system properties props set (see with-props*)."
  [props & body]
  `(with-props* ~props (fn [] ~@body)))

(def trap-kinds
  "Export of test/wasm/trap_kinds.wasm -> the kind its trap must be reported as."
  {"unreachable" :unreachable
   "divide_by_zero" :integer-divide-by-zero
   "integer_overflow" :integer-overflow
   "invalid_conversion" :invalid-conversion-to-integer
   "oob_memory" :out-of-bounds-memory-access
   "oob_table" :out-of-bounds-table-access
   "indirect_call_mismatch" :indirect-call-type-mismatch
   "undefined_element" :undefined-element
   "stack_overflow" :stack-overflow})

(defn await-compiled
  "Waits (a minute at most) until Module `m`'s background compilations have finished
  (engine :auto compiles on a compile-cache miss while the module runs interpreted,
  cljwasi.engine.compiler.BackgroundCompile); true when none is left running."
  [^cljwasi.Module m]
  (.awaitCompiled m 60000))

(defmacro with-compile-held
  "Runs body with every background compilation that has not started yet held until body
  ends or calls (cljwasi.engine.compiler.BackgroundCompile/release)."
  [& body]
  `(do (cljwasi.engine.compiler.BackgroundCompile/hold)
       (try ~@body (finally (cljwasi.engine.compiler.BackgroundCompile/release)))))

;; ---- writing Wasm modules byte by byte ----------------------------------------------

(defn leb-u
  "n as an unsigned LEB128 (a Wasm module's bytes)."
  [n]
  (loop [n n out []]
    (let [b (bit-and n 0x7F) n (unsigned-bit-shift-right n 7)]
      (if (zero? n) (conj out b) (recur n (conj out (bit-or b 0x80)))))))

(defn leb-s
  "n as a signed LEB128."
  [n]
  (loop [n n out []]
    (let [b (bit-and n 0x7F) n (bit-shift-right n 7)]
      (if (or (and (zero? n) (zero? (bit-and b 0x40))) (and (= -1 n) (pos? (bit-and b 0x40))))
        (conj out b)
        (recur n (conj out (bit-or b 0x80)))))))

(defn vec-of
  "A Wasm vector: the count of items, then their bytes."
  [items]
  (concat (leb-u (count items)) (apply concat items)))

(defn section
  "A Wasm module section: its id, its size, its bytes."
  [id body]
  (let [b (vec body)] (concat [id] (leb-u (count b)) b)))
