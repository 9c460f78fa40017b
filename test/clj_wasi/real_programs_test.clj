(ns clj-wasi.real-programs-test
  "Real programs no one here wrote, built from Debian's sources by bench/real/build.sh
  (the benchmark's modules): an interpreter, a compressor, SQLite's shell, an assembler
  and a Markdown renderer give the answers computed here independently. Each module is
  parsed once; the compiled engines compile it once per test run."
  (:require [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (java.util Arrays)))

(defn- real [name] (delay (wasm/module (str "bench/real/wasm/" name ".wasm"))))
(def lua (real "lua"))
(def zstd (real "zstd"))
(def sqlite3 (real "sqlite3"))
(def nasm (real "nasm"))
(def cmark (real "cmark"))

(def ^:private word (gen/not-empty gen/string-alphanumeric))
(def ^:private integer (gen/large-integer* {:min -1000000000000 :max 1000000000000}))

(defspec lua-integer-arithmetic-matches-clojure 15
  ;; Lua 5.4 integers are 64-bit and wrap; // floors like Clojure's floor-div
  (prop/for-all [a integer b integer c (gen/such-that #(not (zero? %)) integer)]
    (let [r (wasm/run @lua {:args ["-e" (format "print(%d * %d + %d, %d // %d, %d %% %d)" a b c a c a c)]})]
      (= {:exit 0 :out (format "%d\t%d\t%d\n" (unchecked-add (unchecked-multiply a b) c)
                               (Math/floorDiv (long a) (long c)) (Math/floorMod (long a) (long c)))}
         (select-keys r [:exit :out])))))

(defspec lua-string-library-matches-clojure 15
  (prop/for-all [s gen/string-alphanumeric]
    (let [r (wasm/run @lua {:args ["/w/s.lua" s]
                            :files {"/w/s.lua" "io.write(arg[1]:reverse(), ' ', arg[1]:upper(), ' ', #arg[1])"}})]
      (= (str (str/reverse s) " " (str/upper-case s) " " (count s)) (:out r)))))

(defspec zstd-round-trips-any-bytes 8
  (prop/for-all [data gen/bytes]
    (let [packed (wasm/run @zstd {:args ["-q" "-o" "/w/in.zst" "/w/in"]
                                  :files {"/w/in" data} :files-as :bytes})
          zst ((:files packed) "/w/in.zst")
          unpacked (wasm/run @zstd {:args ["-d" "-q" "-o" "/w/out" "/w/in.zst"]
                                    :files {"/w/in.zst" zst} :files-as :bytes})]
      (and (zero? (:exit packed)) (zero? (:exit unpacked))
           ;; a zstd frame starts with the magic number 0xFD2FB528, little-endian
           (= [0x28 0xB5 0x2F 0xFD] (map #(bit-and % 0xff) (take 4 zst)))
           (Arrays/equals ^bytes data ^bytes ((:files unpacked) "/w/out"))))))

(defspec sqlite-evaluates-queries-like-clojure 10
  (prop/for-all [a integer b integer s word]
    (let [r (wasm/run @sqlite3 {:args ["-batch" ":memory:"
                                       (format "SELECT %d + %d, upper('%s'), length('%s');" a b s s)]
                                :engine :interpreter})]
      (= (format "%d|%s|%d\n" (+ a b) (str/upper-case s) (count s)) (:out r)))))

(deftest sqlite-keeps-a-file-database-through-the-lock-free-vfs
  ;; WASI has no advisory locks: file databases use SQLite's unix-none VFS
  (let [r1 (wasm/run @sqlite3 {:args ["-batch" "file:/w/t.db?vfs=unix-none"
                                      "CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3);"]
                               :files {"/w" {}} :files-as :bytes :engine :interpreter})
        db ((:files r1) "/w/t.db")
        r2 (wasm/run @sqlite3 {:args ["-batch" "file:/w/t.db?vfs=unix-none" "SELECT sum(x) FROM t;"]
                               :files {"/w/t.db" db} :engine :interpreter})]
    (is (zero? (:exit r1)))
    (is (= "SQLite format 3\u0000" (String. ^bytes db 0 16 "ISO-8859-1")))
    (is (= "6\n" (:out r2)))))

(defspec nasm-assembles-immediates-little-endian 10
  ;; `dd N` in a flat binary is N's four bytes, little-endian
  (prop/for-all [ns (gen/not-empty (gen/vector (gen/choose Integer/MIN_VALUE Integer/MAX_VALUE) 1 20))]
    (let [r (wasm/run @nasm {:args ["-f" "bin" "-o" "/w/out.bin" "/w/in.asm"]
                             :files {"/w/in.asm" (str/join (map #(str "dd " % "\n") ns))}
                             :files-as :bytes})
          expected (let [bb (.order (java.nio.ByteBuffer/allocate (* 4 (count ns)))
                                    java.nio.ByteOrder/LITTLE_ENDIAN)]
                     (doseq [n ns] (.putInt bb (int n)))
                     (.array bb))]
      (and (zero? (:exit r)) (Arrays/equals ^bytes expected ^bytes ((:files r) "/w/out.bin"))))))

(defspec cmark-renders-emphasis-and-headings 15
  (prop/for-all [w word level (gen/choose 1 6)]
    (let [r (wasm/run @cmark {:stdin (str (str/join (repeat level "#")) " " w "\n\n*" w "* and **" w "**\n")})]
      (= (format "<h%d>%s</h%d>\n<p><em>%s</em> and <strong>%s</strong></p>\n" level w level w w)
         (:out r)))))
