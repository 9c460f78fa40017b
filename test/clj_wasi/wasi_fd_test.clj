(ns clj-wasi.wasi-fd-test
  "The fd_* functions, driven by test/wasm/fs_fd.wasm: the program makes raw WASI
  calls against a scratch preopen and checks each errno and value itself, printing
  `ok LABEL` or `FAIL LABEL: ...`; every FAIL line fails here. Host-side effects are
  checked here too."
  (:require [clj-wasi.test-util :refer [assert-checks delete-path nofollow temp-path]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]])
  (:import (cljwasi.wasi.fd Rights)
           (java.nio.file Files LinkOption Path)
           (java.nio.file.attribute FileAttribute)
           (java.util Comparator)))

(def ^:private fs-fd (delay (wasm/module "test/wasm/fs_fd.wasm")))

(defn- delete-tree [^Path p]
  (when (Files/exists p (into-array LinkOption [LinkOption/NOFOLLOW_LINKS]))
    (with-open [s (Files/walk p (make-array java.nio.file.FileVisitOption 0))]
      (doseq [^Path f (reverse (sort-by str (iterator-seq (.iterator s))))]
        (Files/deleteIfExists f)))))

(defn- run-mode
  "Runs fs_fd MODE with a fresh scratch dir at /sandbox (plus `extra` preopens);
  returns the run result with :lines and :dir (the scratch dir's host Path), having
  turned every FAIL line into a failed assertion."
  [mode & {:keys [extra]}]
  (let [dir (temp-path "clj-wasi-fd")
        res (wasm/run @fs-fd {:args [mode]
                              :preopens (into [{:guest "/sandbox" :host (str dir)}] extra)})
        lines (assert-checks (str "fs_fd " mode) res)]
    (assoc res :lines lines :dir dir)))

(defn- content ^String [^Path dir name]
  (String. (Files/readAllBytes (.resolve dir ^String name)) "ISO-8859-1"))

(deftest stdio-descriptors
  ;; fdstat of stdio, ESPIPE for positional calls, EBADF for file-only calls,
  ;; prestat calls on a non-preopen
  (let [{:keys [dir]} (run-mode "stdio")]
    (delete-path dir)))

(deftest read-write-seek-tell-pread-pwrite
  (let [{:keys [^Path dir]} (run-mode "rw")]
    (testing "the bytes reached the host file"
      (let [f (content dir "f")]
        (is (= 101 (count f)))
        (is (str/starts-with? f "JELLO world\u0000"))
        (is (str/ends-with? f "\u0000x")))
      (is (= (* 3 1024 1024) (Files/size (.resolve dir "big")))))
    (delete-path dir)))

(deftest append-mode
  ;; APPEND with reads allowed, position after an append, pwrite on an APPEND fd,
  ;; APPEND switched off and on by fd_fdstat_set_flags
  (let [{:keys [dir]} (run-mode "append")]
    (is (= "ONetwoXY" (content dir "a")))
    (delete-path dir)))

(deftest fdflags
  ;; DSYNC NONBLOCK RSYNC SYNC kept and reported, replaced by fd_fdstat_set_flags,
  ;; EINVAL for unknown bits, EBADF on a directory, ENOTCAPABLE without the right
  (let [{:keys [dir]} (run-mode "flags")]
    (is (= "sync" (content dir "g")))
    (delete-path dir)))

(deftest rights
  (let [{:keys [dir lines]} (run-mode "rights")
        [_ base inh] (some #(re-matches #"preopen base (\p{XDigit}+) inheriting (\p{XDigit}+)" %)
                           lines)]
    (testing "a preopen's rights: every directory right, and file rights to hand down"
      (is (= Rights/DIRECTORY (Long/parseLong base 16)))
      (is (= (bit-or Rights/DIRECTORY Rights/FILE) (Long/parseLong inh 16))))
    (delete-path dir)))

(deftest filestat-size-and-times
  (let [{:keys [^Path dir]} (run-mode "meta")]
    (is (= 3 (Files/size (.resolve dir "m"))))
    (delete-path dir)))

(deftest prestat-close-renumber-advise-allocate-sync
  (let [{:keys [dir]} (run-mode "misc")]
    (is (= "AB" (content dir "a")))
    (is (= "" (content dir "b")))
    (delete-path dir)))

(deftest readdir
  ;; ".", "..", sorted entries with types and inodes, truncation of the last entry,
  ;; cookies across calls and across changes, 1000 entries through a small buffer
  (let [{:keys [dir]} (run-mode "readdir")]
    (delete-path dir)))

(deftest closing-a-preopen
  (let [other (temp-path "clj-wasi-fd-other")
        {:keys [dir]} (run-mode "close-preopen" :extra [{:guest "/other" :host (str other)}])]
    (is (Files/exists (.resolve ^Path dir "f") (make-array LinkOption 0)))
    (delete-path dir)
    (delete-path other)))
