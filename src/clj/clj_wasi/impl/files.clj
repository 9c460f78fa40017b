(ns clj-wasi.impl.files
  "The :files option: a virtual tree of files, given as a map of absolute guest path to
  content, laid out in an in-memory (Jimfs) FileSystem of its own for each instance and
  preopened like a host directory, so every WASI file operation and the sandbox work on
  it unchanged; and the tree read back in the same shape.

  Shape (the same going in and coming out):

      {\"/data/in.txt\"    \"text\"              ; a file, UTF-8
       \"/data/bytes.bin\" (byte-array [1 2])   ; a file, these bytes
       \"/data/empty/\"    {}                   ; an empty directory
       \"/data/link\"      {:symlink \"in.txt\"}} ; a symbolic link

  The first component of each path (\"/data\") is a directory preopened under that
  same name."
  (:require [clojure.string :as str])
  (:import (com.google.common.jimfs Configuration FileTimeSource Jimfs)
           (java.nio.charset StandardCharsets)
           (java.nio.file FileSystem FileVisitOption Files LinkOption OpenOption Path)
           (java.nio.file.attribute FileAttribute)))

(set! *warn-on-reflection* true)

(defn- components [^String p]
  (remove empty? (str/split p #"/")))

(defn guest-path?
  "An absolute guest path: starts with \"/\", names something below \"/\", has no NUL,
  no empty, \".\" or \"..\" component (a single trailing \"/\" is allowed)."
  [p]
  (and (string? p)
       (str/starts-with? p "/")
       (not (str/includes? p "\u0000"))
       (let [body (subs p 1)
             body (if (str/ends-with? body "/") (subs body 0 (dec (count body))) body)
             parts (str/split body #"/" -1)]
         (and (seq body)
              (every? #(and (seq %) (not= "." %) (not= ".." %)) parts)))))

(defn symlink? [v]
  (and (map? v) (= #{:symlink} (set (keys v)))
       (string? (:symlink v)) (seq (:symlink v))
       (not (str/includes? (:symlink v) "\u0000"))))

(defn- empty-dir? [v] (and (map? v) (empty? v)))

(defn content?
  "A value of the :files map: a string, a byte array, {} (an empty directory) or
  {:symlink \"target\"}."
  [v]
  (or (string? v) (bytes? v) (empty-dir? v) (symlink? v)))

(defn strip-slash
  "Guest path `p` without a trailing \"/\" (but \"/\" itself)."
  [^String p]
  (if (and (str/ends-with? p "/") (> (count p) 1)) (subs p 0 (dec (count p))) p))

(defn root
  "The preopen a guest path belongs to: its first component, e.g. \"/data\"."
  [p]
  (str "/" (first (components p))))

(defn roots
  "The preopened directories of a :files map, sorted."
  [files]
  (vec (sort (distinct (map root (keys files))))))

(defn problem
  "Why the :files map `files` cannot be laid out, or nil when it can."
  [files]
  (cond
    (not (map? files)) "it is not a map"
    :else
    (or (some (fn [[k v]]
                (cond
                  (not (guest-path? k))
                  (format "%s is not an absolute guest path (\"/dir/name\", no NUL, no empty, . or .. component)"
                          (pr-str k))
                  (not (content? v))
                  (format "the value of %s is not a string, bytes, {} (an empty directory) or {:symlink \"target\"}"
                          (pr-str k))
                  (and (str/ends-with? k "/") (not (empty-dir? v)))
                  (format "%s ends in \"/\" but its value is not {} (an empty directory)" (pr-str k))
                  (and (= 1 (count (components k))) (not (empty-dir? v)))
                  (format "%s is directly under \"/\": the first component of each path is a preopened directory (e.g. \"/data/in.txt\"); give an empty one as {\"/data/\" {}}"
                          (pr-str k))))
              files)
        (let [leaves (into {} (for [[k v] files :when (not (empty-dir? v))] [(strip-slash k) k]))
              ancestors (set (for [k (keys files)
                                   :let [cs (vec (components k))]
                                   n (range 1 (count cs))]
                               (str "/" (str/join "/" (subvec cs 0 n)))))
              dirs (set (for [[k v] files :when (empty-dir? v)] (strip-slash k)))]
          (some (fn [[p k]]
                  (when (or (ancestors p) (dirs p))
                    (format "%s is a file or symlink but other entries make it a directory" (pr-str k))))
                (sort leaves))))))

(defn file-system
  "A new in-memory FileSystem, Unix-like (\"/\" separated, case-sensitive, symbolic and
  hard links), whose file times come from `now-nanos` (a function returning epoch
  nanoseconds) or the system clock. Its attribute views are basic, owner, posix and
  unix (dev, ino, nlink, ctime for filestat)."
  ^FileSystem [now-nanos]
  (let [b (-> (.toBuilder (Configuration/unix))
              (.setAttributeViews "basic" (into-array String ["owner" "posix" "unix"]))
              (.setWorkingDirectory "/"))]
    (when now-nanos
      (.setFileTimeSource b (reify FileTimeSource
                              (now [_] (java.nio.file.attribute.FileTime/from
                                        (long (now-nanos)) java.util.concurrent.TimeUnit/NANOSECONDS)))))
    (Jimfs/newFileSystem (.build b))))

(def ^:private no-attrs (make-array FileAttribute 0))
(def ^:private no-open (make-array OpenOption 0))
(def ^:private nofollow (into-array LinkOption [LinkOption/NOFOLLOW_LINKS]))

(defn- path ^Path [^FileSystem fs ^String p]
  (.getPath fs (strip-slash p) (make-array String 0)))

(defn populate!
  "Lays out `files` (valid: see `problem`) in `fs`; returns the roots, sorted."
  [^FileSystem fs files]
  (doseq [r (roots files)]
    (Files/createDirectories (path fs r) no-attrs))
  (doseq [[k v] (sort-by key files)
          :let [p (path fs k)]]
    (Files/createDirectories (.getParent p) no-attrs)
    (cond
      (string? v) (Files/write p (.getBytes ^String v StandardCharsets/UTF_8) ^"[Ljava.nio.file.OpenOption;" no-open)
      (bytes? v) (Files/write p ^bytes v ^"[Ljava.nio.file.OpenOption;" no-open)
      (symlink? v) (Files/createSymbolicLink p (.getPath fs ^String (:symlink v) (make-array String 0)) no-attrs)
      :else (Files/createDirectories p no-attrs)))
  (roots files))

(defn- entry [^Path p ^String guest as]
  (cond
    (Files/isSymbolicLink p) [guest {:symlink (str (Files/readSymbolicLink p))}]
    (Files/isDirectory p nofollow)
    (when (with-open [s (Files/list p)] (not (.hasNext (.iterator s))))
      [(str guest "/") {}])
    (Files/isRegularFile p nofollow)
    (let [bs (Files/readAllBytes p)]
      [guest (if (= :bytes as) bs (String. bs StandardCharsets/UTF_8))])))

(defn dir-tree
  "The tree beneath directory `dir` (of any FileSystem) in the :files shape, its paths
  starting with `guest` (\"/data\"): every regular file (a String decoded as UTF-8,
  malformed bytes replaced by U+FFFD, or a byte array when `as` is :bytes), every
  symlink as {:symlink target}, and every empty directory as \"/path/\" {}, the root
  included. Other files (devices, sockets) are left out. A sorted map."
  [^Path dir ^String guest as]
  (into (sorted-map)
        (when (Files/isDirectory dir nofollow)
          (for [^Path p (with-open [s (Files/walk dir (make-array FileVisitOption 0))]
                          (vec (iterator-seq (.iterator s))))
                :let [rel (str/replace (str (.relativize dir p)) (.getSeparator (.getFileSystem dir)) "/")
                      e (entry p (if (empty? rel) guest (str guest "/" rel)) as)]
                :when e]
            e))))

(defn tree
  "The files beneath `roots` (guest paths, e.g. [\"/data\"]) in `fs`, as `dir-tree`
  gives them, in one sorted map. A root the guest emptied shows as \"/root/\" {}."
  [^FileSystem fs roots as]
  (into (sorted-map) (mapcat #(dir-tree (path fs %) % as) roots)))
