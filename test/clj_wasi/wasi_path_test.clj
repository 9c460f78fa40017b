(ns clj-wasi.wasi-path-test
  "The path_* functions, driven by test/wasm/fs_path.wasm: the program makes raw WASI
  calls against a scratch preopen and checks each errno and value itself, printing
  `ok LABEL` or `FAIL LABEL: ...`; every FAIL line fails here. The scratch preopen is
  a sub-directory of a temporary root, and every test also checks that nothing
  appeared in the root beside it."
  (:require [clj-wasi.test-util :refer [assert-checks delete-path java-cmd nofollow sh temp-path]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [clojure.test.check.clojure-test :refer [defspec]]
            [clojure.test.check.generators :as gen]
            [clojure.test.check.properties :as prop])
  (:import (cljwasi Module ModuleInstance)
           (cljwasi.wasi WasiOptions)
           (cljwasi.wasi.fs NativeFs)
           (java.io ByteArrayOutputStream)
           (java.nio.file FileSystems Files LinkOption OpenOption Path)
           (java.nio.file.attribute FileAttribute FileTime)
           (java.util.function Supplier)))

(def ^:private fs-path (delay (wasm/module "test/wasm/fs_path.wasm")))

(defn- names [^Path dir]
  (with-open [s (Files/list dir)]
    (set (map #(str (.getFileName ^Path %)) (iterator-seq (.iterator s))))))

(defn- run-mode
  "Runs fs_path MODE with a fresh scratch dir ROOT/sandbox at /sandbox (plus `extra`
  preopens); asserts every check passed and ROOT holds nothing else. Returns the run
  result with :lines, :root and :dir."
  [mode & {:keys [extra]}]
  (let [root (temp-path "clj-wasi-path")
        dir (Files/createDirectory (.resolve root "sandbox") (make-array FileAttribute 0))
        res (wasm/run @fs-path {:args [mode]
                                :preopens (into [{:guest "/sandbox" :host (str dir)}] extra)})
        lines (assert-checks (str "fs_path " mode) res)]
    (is (= #{"sandbox"} (names root)) "nothing created beside the preopen")
    (assoc res :lines lines :root root :dir dir)))

(defn- content ^String [^Path dir ^String name]
  (String. (Files/readAllBytes (.resolve dir name)) "UTF-8"))

(deftest path-open
  ;; CREAT EXCL TRUNC DIRECTORY, directories opened for writing, trailing slashes,
  ;; absolute paths and ".." escapes (EPERM), NUL (EINVAL), bad UTF-8 (EILSEQ),
  ;; sub-directory fds as their own sandbox, non-directory fds
  (let [{:keys [root ^Path dir]} (run-mode "open")]
    (is (= "in" (content dir "d/inner")))
    (is (not (Files/exists (.resolve dir "new") nofollow)))
    (delete-path root)))

(deftest symlinks
  ;; NOFOLLOW (ELOOP / ENOTDIR), following, intermediate and dangling links, creation
  ;; through a dangling link, loops, the 40-link bound, escapes (EPERM), readlink
  ;; with a short buffer, path_symlink with trailing slashes
  (let [{:keys [root ^Path dir]} (run-mode "symlinks")]
    (is (Files/isSymbolicLink (.resolve dir "esc")))
    (is (= "../outside" (str (Files/readSymbolicLink (.resolve dir "esc")))))
    (is (Files/exists (.resolve dir "nothere") nofollow) "created through the dangling link")
    (is (not (Files/exists (.resolve root "outside") nofollow)))
    (delete-path root)))

(deftest create-and-remove-directories-and-files
  (let [{:keys [root ^Path dir]} (run-mode "dirs")]
    (is (= #{"d"} (names dir)))
    (delete-path root)))

(deftest hard-links
  (let [{:keys [root ^Path dir]} (run-mode "links")]
    (is (= 4 (Files/getAttribute (.resolve dir "f") "unix:nlink" nofollow)))
    (is (Files/isSymbolicLink (.resolve dir "dl2")) "a hard link to the symlink itself")
    (delete-path root)))

(deftest renames
  (let [{:keys [root ^Path dir]} (run-mode "rename")]
    (is (= "C" (content dir "e/moved")))
    (is (= #{"b2" "e" "lb2" "dl2"} (names dir)))
    (delete-path root)))

(deftest filestat-and-times
  ;; path_filestat_get with and without SYMLINK_FOLLOW, set_times of a file, of a
  ;; symlink itself and through it, NOW flags, EINVAL before anything else
  (let [{:keys [root ^Path dir]} (run-mode "times")]
    (is (= (FileTime/fromMillis 1600000000000)
           (Files/getLastModifiedTime (.resolve dir "lf") nofollow))
        "the symlink's own mtime, set without SYMLINK_FOLLOW")
    (delete-path root)))

(defn- snapshot [^Path dir]
  (with-open [s (Files/walk dir (make-array java.nio.file.FileVisitOption 0))]
    (into (sorted-map)
          (for [^Path p (iterator-seq (.iterator s))]
            [(str (.relativize dir p))
             [(Files/isDirectory p nofollow)
              (when (Files/isRegularFile p nofollow) (vec (Files/readAllBytes p)))
              (when (Files/isSymbolicLink p) (str (Files/readSymbolicLink p)))
              (Files/getLastModifiedTime p nofollow)]]))))

(deftest read-only-preopen
  ;; every mutation under a read-only preopen is EROFS (wasmtime: EPERM), reads work,
  ;; and the host directory is left exactly as it was
  (let [ro (temp-path "clj-wasi-ro")]
    (spit (str (.resolve ro "f")) "ro\n")
    (Files/createDirectory (.resolve ro "d") (make-array FileAttribute 0))
    (Files/createSymbolicLink (.resolve ro "l") (.getPath (.getFileSystem ro) "f" (make-array String 0))
                              (make-array FileAttribute 0))
    (let [before (snapshot ro)
          {:keys [root ^Path dir]} (run-mode "readonly"
                                             :extra [{:guest "/ro" :host (str ro) :read-only true}])]
      (is (= before (snapshot ro)) "the read-only host directory is untouched")
      (is (= "w" (content dir "w")) "the refused rename left its source in place")
      (delete-path root))
    (delete-path ro)))

(deftest a-preopen-on-another-file-system
  ;; java.nio only: a preopen may live in any FileSystem. zipfs has no "unix" view (so
  ;; metadata falls back to the basic view), no links, and refuses NOFOLLOW_LINKS.
  (let [tmp (temp-path "clj-wasi-zipfs")
        fs (FileSystems/newFileSystem (.resolve tmp "t.zip") {"create" "true"})
        root (.getPath fs "/data" (make-array String 0))
        out (ByteArrayOutputStream.)]
    (try
      (Files/createDirectory root (make-array FileAttribute 0))
      (Files/writeString (.resolve root "hello.txt") "hi from zip" (make-array OpenOption 0))
      (let [ops ["open:hello.txt" "stat:hello.txt" "readdir:." "create:new" "open:new" "mkdir:d"
                 "rename:new:d/new" "open:d/new" "link:hello.txt:h2" "symlink:x:y"
                 "unlink:hello.txt" "open:../x" "times:d/new"]
            opts (-> (WasiOptions/builder)
                     (.args (into ["fs_shell"] ops))
                     (.preopen "/sandbox" root false)
                     (.stdout (reify Supplier (get [_] out)) false)
                     (.build))]
        (with-open [inst (-> (ModuleInstance/builder (Module/parse (.toPath (java.io.File. "test/wasm/fs_shell.wasm"))))
                             (.wasi opts)
                             (.build))]
          (is (= 0 (.runCommand inst "_start"))))
        (is (= ["open:hello.txt success hi from zip"
                "stat:hello.txt success type=4 size=11 nlink=1"
                "readdir:. success .,..,hello.txt,"
                "create:new success"
                "open:new success data"
                "mkdir:d success"
                "rename:new:d/new success"
                "open:d/new success data"
                "link:hello.txt:h2 notsup"
                "symlink:x:y notsup"
                "unlink:hello.txt success"
                "open:../x perm "
                "times:d/new success"]
               (str/split-lines (str out))))
        (is (= "data" (Files/readString (.resolve root "d/new")))))
      (finally
        (.close fs)
        (delete-path tmp)))))

;; ---- set_times keeps nanoseconds -----------------------------------------------------

(defn- stamp-run
  "Runs fs_path stamp A M in a fresh scratch tree: a host directory, or a :files tree
  when `files?`. Asserts every call succeeded; returns {label [atim mtim]}."
  [a m files?]
  (let [args ["stamp" (str a) (str m)]
        root (when-not files? (temp-path "clj-wasi-stamp"))
        res (if files?
              (wasm/run @fs-path {:args args :files {"/sandbox/.keep" ""}})
              (wasm/run @fs-path {:args args :preopens {"/sandbox" (str root)}}))
        lines (assert-checks "fs_path stamp" res)]
    (when root (delete-path root))
    (into {} (for [l lines :let [[_ label at mt] (re-matches #"got (\S+) (\d+) (\d+)" l)] :when label]
               [label [(Long/parseUnsignedLong at) (Long/parseUnsignedLong mt)]]))))

(defn- expected-stamps
  "What fs_path stamp A M must read back, each time passed through `precision`:
  variant i sets atim A + i*7919 and mtim M + i*104729 (see fs_path.c). A symlink's
  atime is not compared after it was followed: the kernel updates it (relatime)."
  [a m precision]
  (let [at #(precision (+ a (* % 7919)))
        mt #(precision (+ m (* % 104729)))
        both #(vector (at %) (mt %))]
    {"1-fd-file" (both 1) "1-fd-file/path" (both 1)
     "2-fd-dir" (both 2) "2-fd-dir/path" (both 2)
     "3-path-file" (both 3) "4-path-dir" (both 4)
     "5-path-symlink" (both 5) "5-path-symlink/target" (both 3)
     "6-follow-file" (both 6) "6-follow-file/via-link" (both 6) "6-follow-file/link" [nil (mt 5)]
     "7-follow-dir" (both 7) "8-nested-file" (both 8)
     "9-nested-symlink" (both 9) "9-nested-symlink/target" (both 8)
     "10-preopen" (both 10) "11-dot" (both 11)
     "12-mtim-only" [(at 6) (mt 12)] "13-atim-only" [(at 13) (mt 9)]}))

(defn- stamps-match? [expected got]
  (and (= (set (keys expected)) (set (keys got)))
       (every? (fn [[label [a m]]] (and (or (nil? a) (= a (first (got label))))
                                       (= m (second (got label)))))
               expected)))

(defn- micros
  "Whole microseconds: what JDK 17's java.nio keeps (futimes, lutimes)."
  [t]
  (- t (mod t 1000)))

(defn- nio-keeps-nanos?
  "Whether java.nio alone sets host times to the nanosecond on JDK `feature`: measured
  true on JDK 25 (futimens through SecureDirectoryStream, utimensat for a symlink),
  false on JDK 17 (docs/WASI.md, \"The filesystem sandbox\")."
  [feature]
  (>= feature 25))

(def ^:private gen-time
  "ns since the epoch up to 2096, with random sub-second digits (and the edges)."
  (gen/one-of [(gen/elements [0 999999999 1000000000])
               (gen/fmap (fn [[s ns]] (+ (* s 1000000000) ns))
                         (gen/tuple (gen/choose 0 4000000000) (gen/choose 0 999999999)))]))

(defspec times-read-back-as-set-on-host-dirs 100
  ;; fd_ and path_filestat_set_times on a file, a directory, a symlink itself, through
  ;; symlinks, nested, the preopen itself, one time only: fd_ and path_filestat_get
  ;; read back exactly what was set with the native calls (JDK 22+) and on JDK 25
  ;; through java.nio; to the microsecond on JDK 17
  (prop/for-all [a gen-time m gen-time]
    (let [exact? (or (some? NativeFs/INSTANCE) (nio-keeps-nanos? (.feature (Runtime/version))))]
      (stamps-match? (expected-stamps a m (if exact? identity micros)) (stamp-run a m false)))))

(defspec times-read-back-as-set-on-files-trees 100
  ;; the same on a :files tree (Jimfs keeps any FileTime): exact on every JDK
  (prop/for-all [a gen-time m gen-time]
    (stamps-match? (expected-stamps a m identity) (stamp-run a m true))))

(deftest stat-reports-the-hosts-nanoseconds
  ;; times the host gave f, d and the symlink l read back through path_filestat_get and
  ;; fd_filestat_get exactly as the host reads them, on every JDK and path
  (let [root (temp-path "clj-wasi-peek")
        t #(FileTime/from % java.util.concurrent.TimeUnit/NANOSECONDS)
        f (.resolve root "f") d (.resolve root "d") l (.resolve root "l")
        ns-of #(.to ^FileTime % java.util.concurrent.TimeUnit/NANOSECONDS)]
    (spit (str f) "x")
    (Files/createDirectory d (make-array FileAttribute 0))
    (Files/createSymbolicLink l (.getFileName f) (make-array FileAttribute 0))
    (doseq [[^Path p at mt] [[f 1234567890123456789 987654321987654321]
                             [d 1111111111222222333 1444444444555555666]]]
      (Files/setAttribute p "lastAccessTime" (t at) (make-array LinkOption 0))
      (Files/setLastModifiedTime p (t mt)))
    (let [host (fn [^Path p] [(ns-of (Files/getAttribute p "lastAccessTime" nofollow))
                              (ns-of (Files/getLastModifiedTime p nofollow))])
          lines (assert-checks "fs_path peek"
                               (wasm/run @fs-path {:args ["peek"] :preopens {"/sandbox" (str root)}}))
          got (into {} (for [l lines :let [[_ k a m] (re-matches #"got (\S+) (\d+) (\d+)" l)] :when k]
                         [k [(Long/parseLong a) (Long/parseLong m)]]))]
      (is (= [1234567890123456789 987654321987654321] (host f)) "the host kept ns")
      (is (= {"path-f" (host f) "fd-f" (host f) "path-d" (host d) "fd-d" (host d) "path-l" (host l)}
             got)))
    (delete-path root)))

(deftest times-through-java-nio-alone
  ;; with the native calls switched off (-Dcljwasi.native-fs=false, as on a JDK without
  ;; them) a host directory still works, to the precision this JDK's java.nio keeps,
  ;; and nothing is printed to stderr
  (let [a 1234567890123456789 m 987654321987654321
        code (str "(require 'clj-wasi.wasi-path-test)"
                  "(prn [(some? cljwasi.wasi.fs.NativeFs/INSTANCE)"
                  "      (#'clj-wasi.wasi-path-test/stamp-run " a " " m " false)])")
        {:keys [exit out err]} (sh (java-cmd "-Dcljwasi.native-fs=false" "clojure.main" "-e" code))
        [native? got] (read-string out)
        exact? (nio-keeps-nanos? (.feature (Runtime/version)))]
    (is (= 0 exit) err)
    (is (= "" err))
    (is (false? native?))
    (is (stamps-match? (expected-stamps a m (if exact? identity micros)) got) (pr-str got))))
